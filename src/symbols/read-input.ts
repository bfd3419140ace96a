/**
 * Reading map inputs: whole files into memory, gzip undone transparently.
 *
 * Gzip is recognised by its magic bytes rather than the `.gz` suffix, so a
 * renamed or piped file still works. The output buffer is sized from the gzip
 * trailer (ISIZE) so zlib writes one chunk instead of concatenating many;
 * on the 20 MB distribution map that halves the inflate time.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { SymbolMapError } from './errors.js';

const GZIP_MAGIC0 = 0x1f;
const GZIP_MAGIC1 = 0x8b;
/** zlib refuses chunk sizes above this; bigger outputs simply take several chunks. */
const MAX_CHUNK = 1 << 30;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC0 && bytes[1] === GZIP_MAGIC1;
}

/** Inflate `bytes` if they are gzip, else return them unchanged. */
export function maybeGunzip(bytes: Buffer, file: string): Buffer {
  if (!isGzip(bytes)) return bytes;
  // ISIZE is the uncompressed size modulo 2^32 of the last member: a hint, not a promise.
  const isize = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0;
  const chunkSize = Math.min(MAX_CHUNK, Math.max(64 * 1024, isize + 1));
  try {
    return gunzipSync(bytes, { chunkSize });
  } catch (err) {
    throw new SymbolMapError(file, 0, `cannot decompress gzip data: ${(err as Error).message}`, { cause: err });
  }
}

function unreadable(file: string, err: unknown): SymbolMapError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
  return new SymbolMapError(file, 0, `cannot read: ${why}`, { cause: err });
}

/** Read a map/symvers/positions file, inflating gzip. Errors become SymbolMapError at line 0. */
export async function readInput(file: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    throw unreadable(file, err);
  }
  return maybeGunzip(raw, file);
}

/** Synchronous twin of readInput, for callers outside async code. */
export function readInputSync(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    throw unreadable(file, err);
  }
  return maybeGunzip(raw, file);
}
