/**
 * The one base of klp-convert's errors. Each error knows the exit status it
 * ends a run with and where it was found, so the CLI reads both from the
 * error instead of asking which class it is.
 */
import { EXIT, type ExitCode } from './exit-codes.js';

/** Where a problem is; every field is optional, and each names one kind of place. */
export interface ErrorLocation {
  /** The file as the user named it. */
  file?: string;
  /** An ELF section name (or `#<index>` when the name itself could not be read). */
  section?: string;
  /** A byte offset in the file (not an r_offset). */
  fileOffset?: number;
  /** A 1-based line of a text input (maps, Module.symvers, positions files); 0: the file as a whole. */
  line?: number;
}

export abstract class KlpError extends Error {
  /** The exit status a run that ends with this error returns. */
  abstract readonly exitCode: ExitCode;
  readonly location: ErrorLocation;

  constructor(message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.location = location;
  }
}

/** The exit status an error ends a run with: its own, or `otherwise` for errors that are not ours (I/O, bugs). */
export function exitCodeOf(err: unknown, otherwise: ExitCode): ExitCode {
  return err instanceof KlpError ? err.exitCode : otherwise;
}

/** A wrong command line, or a library call whose options cannot work, that commander could not catch itself. */
export class UsageProblem extends KlpError {
  override readonly name = 'UsageProblem';
  readonly exitCode = EXIT.USAGE;
}

/** One line for any error: ours carry their own location; I/O errors name their path. */
export function describeError(e: unknown): string {
  if (e instanceof KlpError) return e.message;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    const path = (e as NodeJS.ErrnoException).path;
    if (code && path) return `${path}: ${code === 'ENOENT' ? 'no such file' : e.message}`;
    return e.message;
  }
  return String(e);
}
