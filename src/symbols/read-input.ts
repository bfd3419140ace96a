/**
 * Reading map inputs, gzip undone transparently: streamed line by line
 * (InputReader) for the large line-oriented maps, whole for YAML files and
 * rare rescans.
 *
 * Gzip is recognised by its magic bytes rather than the `.gz` suffix, so a
 * renamed or piped file still works. For whole reads the output buffer is
 * sized from the gzip trailer (ISIZE) so zlib writes one chunk instead of
 * concatenating many.
 */
import { closeSync, createReadStream, readSync } from 'node:fs';
import { type ZlibOptions, createGunzip, gunzipSync } from 'node:zlib';
import { InputFileError, openRegularFileSync, readRegularFile, readRegularFileSync } from '../util/read-file.js';
import { SymbolMapError } from './errors.js';
import { type LineCursor, type LineVisitor, scanLines } from './line-scan.js';

const GZIP_MAGIC0 = 0x1f;
const GZIP_MAGIC1 = 0x8b;
/** zlib refuses chunk sizes above this; bigger outputs simply take several chunks. */
const MAX_CHUNK = 1 << 30;
/**
 * No real map comes near this (a whole distribution is ~400 MB uncompressed
 * as System.map plus every module); a gzip bomb stops here instead of
 * exhausting memory.
 */
export const MAX_INFLATED = 1 << 30;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC0 && bytes[1] === GZIP_MAGIC1;
}

/** Inflate `bytes` if they are gzip, else return them unchanged; more than `limit` bytes inflated is an error. */
export function maybeGunzip(bytes: Buffer, file: string, limit = MAX_INFLATED): Buffer {
  if (!isGzip(bytes)) return bytes;
  // ISIZE is the uncompressed size modulo 2^32 of the last member: a hint, not a promise.
  const isize = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0;
  const chunkSize = Math.min(MAX_CHUNK, Math.max(64 * 1024, isize + 1));
  try {
    return gunzipSync(bytes, { chunkSize: Math.min(chunkSize, limit), maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(file, limit, err);
    throw new SymbolMapError(file, 0, `cannot decompress gzip data: ${(err as Error).message}`, { cause: err });
  }
}

function tooLarge(file: string, limit: number, cause: unknown): SymbolMapError {
  const why = `decompresses to more than ${limit / (1 << 20)} MiB; no symbol map is that large`;
  return new SymbolMapError(file, 0, why, { cause });
}

function unreadable(file: string, err: unknown): SymbolMapError {
  // InputFileError's message starts with the path, which SymbolMapError adds itself.
  const why =
    err instanceof InputFileError ? err.message.slice(file.length + 2) : `cannot read: ${(err as Error).message}`;
  return new SymbolMapError(file, 0, why, { cause: err });
}

/** Read a map/symvers/positions file, inflating gzip. Errors become SymbolMapError at line 0. */
export async function readInput(file: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await readRegularFile(file);
  } catch (err) {
    throw unreadable(file, err);
  }
  return maybeGunzip(raw, file);
}

/** Synchronous twin of readInput, for callers outside async code. */
export function readInputSync(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readRegularFileSync(file);
  } catch (err) {
    throw unreadable(file, err);
  }
  return maybeGunzip(raw, file);
}

/**
 * The reused window of a streamed input. 512 KiB: large enough that reads
 * and chunk hand-overs are few, small enough that its first use (fresh pages
 * fault in at ~17 us each on a busy machine) costs little; reading a 20 MB
 * map whole would fault in all 20 MB.
 */
const WINDOW = 1 << 19;
/** What format detection looks at (detectMapFormat reads at most this much). */
export const HEAD_BYTES = 4096;

/**
 * One input read front to back through a reused window: the file's bytes,
 * or for gzip its inflated bytes, which zlib produces on the thread pool
 * while the lines already inflated are scanned.
 */
export class InputReader {
  private window = Buffer.allocUnsafeSlow(WINDOW);
  /** window[0, filled) holds input not yet consumed. */
  private filled = 0;
  private ended = false;
  private position = 0;
  private inflated = 0;
  private chunks: AsyncIterator<Buffer> | undefined;
  /** A gzip chunk that did not fit in the window, and how much of it was taken. */
  private pending: Buffer | undefined;
  private pendingUsed = 0;
  private fd: number | undefined;

  private constructor(
    readonly file: string,
    fd: number,
    private readonly limit: number,
  ) {
    this.fd = fd;
    const magic = Buffer.alloc(2);
    if (readSync(fd, magic, 0, 2, 0) === 2 && isGzip(magic)) this.chunks = this.inflate(fd);
  }

  /** Open `file` (a SymbolMapError at line 0 if it cannot be read as a regular file). */
  static open(file: string, limit = MAX_INFLATED): InputReader {
    let fd: number;
    try {
      fd = openRegularFileSync(file);
    } catch (err) {
      throw unreadable(file, err);
    }
    return new InputReader(file, fd, limit);
  }

  private inflate(fd: number): AsyncIterator<Buffer> {
    this.fd = undefined; // the read stream closes it
    // Compressed input in 256 KiB pieces (few trips through the stream machinery), inflated in 64 KiB
    // ones: zlib allocates each output piece afresh, and until a GC frees them they count in the peak
    // memory. On the 20 MB distribution map 256 KiB output pieces saved ~240 M instructions
    // (cachegrind) but raised the peak RSS from ~77 MB to ~83 MB, past issue 10's 80 MB.
    const raw = createReadStream('', { fd, start: 0, highWaterMark: 1 << 18 });
    // Up to 1 MiB inflated ahead of the scan: zlib keeps working while JavaScript scans
    // (zlib passes stream options on to its Transform, though its types do not say so).
    const gunzip = createGunzip({ chunkSize: 1 << 16, readableHighWaterMark: 1 << 20 } as ZlibOptions);
    raw.on('error', (err) => gunzip.destroy(Object.assign(err, { readError: true })));
    raw.pipe(gunzip);
    return gunzip[Symbol.asyncIterator]();
  }

  /** The next inflated chunk, or undefined at the end. */
  private async nextChunk(): Promise<Buffer | undefined> {
    let r: IteratorResult<Buffer>;
    try {
      r = await this.chunks!.next();
    } catch (err) {
      if ((err as { readError?: boolean }).readError) throw unreadable(this.file, err);
      throw new SymbolMapError(this.file, 0, `cannot decompress gzip data: ${(err as Error).message}`, { cause: err });
    }
    if (r.done) return undefined;
    this.inflated += r.value.length;
    if (this.inflated > this.limit) throw tooLarge(this.file, this.limit, undefined);
    return r.value;
  }

  /** Read until the window is full or the input has ended. */
  private async fill(): Promise<void> {
    while (!this.ended && this.filled < this.window.length) {
      if (!this.chunks) {
        const n = readSync(this.fd!, this.window, this.filled, this.window.length - this.filled, this.position);
        this.position += n;
        this.filled += n;
        if (n === 0) this.ended = true;
        continue;
      }
      if (!this.pending) {
        this.pending = await this.nextChunk();
        this.pendingUsed = 0;
        if (!this.pending) {
          this.ended = true;
          break;
        }
      }
      const n = this.pending.copy(this.window, this.filled, this.pendingUsed);
      this.filled += n;
      this.pendingUsed += n;
      if (this.pendingUsed === this.pending.length) this.pending = undefined;
    }
    if (this.ended) this.close();
  }

  /** The first bytes of the input: HEAD_BYTES or more, or all of it when shorter. */
  async head(): Promise<Buffer> {
    if (this.filled < HEAD_BYTES) await this.fill();
    return this.window.subarray(0, this.filled);
  }

  /** The whole input (for YAML, which is parsed as a whole). */
  async whole(): Promise<Buffer> {
    await this.fill();
    while (!this.ended) {
      this.grow();
      await this.fill();
    }
    return this.window.subarray(0, this.filled);
  }

  /** Visit every line (see line-scan.ts), skipping the first `skip` lines (headers checked on head()). */
  async forEachLine(visit: LineVisitor, skip = 0): Promise<void> {
    const cursor: LineCursor = { line: 0 };
    let from = 0;
    await this.fill();
    while (cursor.line < skip) {
      const nl = this.window.subarray(0, this.filled).indexOf(10, from);
      if (nl >= 0) {
        from = nl + 1;
        cursor.line++;
      } else if (this.ended) {
        return;
      } else {
        this.grow();
        await this.fill();
      }
    }
    for (;;) {
      const rest = scanLines(this.window, from, this.filled, this.ended, cursor, visit);
      if (this.ended) return;
      // Keep the unfinished line; a line longer than the whole window makes it grow.
      if (rest === 0) this.grow();
      else this.window.copy(this.window, 0, rest, this.filled);
      this.filled -= rest;
      from = 0;
      await this.fill();
    }
  }

  private grow(): void {
    const bigger = Buffer.allocUnsafeSlow(this.window.length * 2);
    this.window.copy(bigger, 0, 0, this.filled);
    this.window = bigger;
  }

  /** Release the file (reading to the end does it too). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.chunks && !this.ended) void this.chunks.return?.();
  }
}
