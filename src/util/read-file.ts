/**
 * Reading an input file whole, after making sure it is one. A directory
 * cannot be read, a FIFO with no writer blocks the read forever, and a device
 * such as /dev/zero never ends: each is refused by name, before any read.
 */
// node:fs's callback calls, not node:fs/promises: loading that module loads a dozen more (readline,
// watchers, directory streams), ~60 fresh pages at every start of a CLI that mostly reads synchronously.
import { openSync, readFile, readFileSync, stat, statSync, type Stats } from 'node:fs';
import { KlpError } from './errors.js';
import { EXIT } from './exit-codes.js';

/** An input path that cannot be read as a file; the message names the path. */
export class InputFileError extends KlpError {
  override readonly name = 'InputFileError';
  readonly exitCode = EXIT.BAD_INPUT;

  constructor(
    readonly path: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${why}`, { file: path }, options);
  }
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Why a path could not be opened or read, in a few words. */
export function ioReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    default:
      return (err as Error).message;
  }
}

/** Any failure to stat, open or read `path` as an InputFileError. */
function asInputFileError(path: string, err: unknown): InputFileError {
  if (err instanceof InputFileError) return err;
  return new InputFileError(path, `cannot read: ${ioReason(err)}`, { cause: err });
}

function checked(path: string, s: Stats): void {
  if (!s.isFile()) throw new InputFileError(path, `is ${kindOf(s)}, not a regular file`);
}

/** Throws InputFileError unless `path` is a regular file (for readers that are not us, such as a decompressor). */
export function assertRegularFile(path: string): void {
  try {
    checked(path, statSync(path));
  } catch (err) {
    throw asInputFileError(path, err);
  }
}

export async function readRegularFile(path: string): Promise<Buffer> {
  try {
    checked(path, await new Promise<Stats>((done, fail) => stat(path, (e, s) => (e ? fail(e) : done(s)))));
    return await new Promise<Buffer>((done, fail) => readFile(path, (e, b) => (e ? fail(e) : done(b))));
  } catch (err) {
    throw asInputFileError(path, err);
  }
}

export function readRegularFileSync(path: string): Buffer {
  try {
    checked(path, statSync(path));
    return readFileSync(path);
  } catch (err) {
    throw asInputFileError(path, err);
  }
}

/** Open a regular file for reading, for readers that stream it; the caller closes the descriptor. */
export function openRegularFileSync(path: string): number {
  try {
    checked(path, statSync(path));
    return openSync(path, 'r');
  } catch (err) {
    throw asInputFileError(path, err);
  }
}
