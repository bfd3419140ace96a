import { KlpError } from '../util/errors.js';
import { EXIT } from '../util/exit-codes.js';

/**
 * Errors raised while reading symbol maps, Module.symvers and positions files.
 *
 * Every message has the shape `<file>:<line>: <what is wrong>` so that editors
 * and CI logs can jump straight to the offending line.
 */
export class SymbolMapError extends KlpError {
  override readonly name = 'SymbolMapError';
  readonly exitCode = EXIT.BAD_INPUT;
  /** The file as the caller named it (not resolved, so messages match what the user typed). */
  readonly file: string;
  /** 1-based line; 0 when the problem concerns the file as a whole (unreadable, empty). */
  readonly line: number;
  /** The message without the `<file>:<line>: ` prefix. */
  readonly reason: string;

  constructor(file: string, line: number, reason: string, options?: { cause?: unknown }) {
    super(`${file}:${line}: ${reason}`, { file, line }, options);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** Raised by `klp-convert symbols` when its inputs cannot produce a map (missing files, stub System.map...). */
export class SymbolSourceError extends KlpError {
  override readonly name = 'SymbolSourceError';
  readonly exitCode = EXIT.BAD_INPUT;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, {}, options);
  }
}
