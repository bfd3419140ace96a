/**
 * Reading map inputs, gzip undone transparently: streamed line by line
 * (InputReader) for the large line-oriented maps, whole for YAML files and
 * rare rescans.
 *
 * Gzip is recognised by its magic bytes rather than the `.gz` suffix, so a
 * renamed or piped file still works. For whole reads the output buffer is
 * sized from the gzip trailer (ISIZE) so zlib writes one chunk instead of
 * concatenating many.
 *
 * A streamed gzip input drives Node's native zlib handle from its binding
 * (bindingInflater); node:zlib, which loads Node's stream modules, is loaded
 * only for a whole read or where that handle is out of reach.
 */
import { closeSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';
import { InputFileError, openRegularFileSync, readRegularFile, readRegularFileSync } from '../util/read-file.js';
import { SymbolMapError } from './errors.js';
import { type LineSelection, WasmLineWindow } from './line-filter.js';
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

let zlibModule: typeof Zlib | undefined;
function zlib(): typeof Zlib {
  zlibModule ??= createRequire(import.meta.url)('node:zlib') as typeof Zlib;
  return zlibModule;
}

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
    return zlib().gunzipSync(bytes, { chunkSize: Math.min(chunkSize, limit), maxOutputLength: limit });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(file, limit, err);
    throw cannotInflate(file, err);
  }
}

function tooLarge(file: string, limit: number, cause: unknown): SymbolMapError {
  const why = `decompresses to more than ${limit / (1 << 20)} MiB; no symbol map is that large`;
  return new SymbolMapError(file, 0, why, { cause });
}

function cannotInflate(file: string, err: unknown): SymbolMapError {
  return new SymbolMapError(file, 0, `cannot decompress gzip data: ${(err as Error).message}`, { cause: err });
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
 * The first size of a streamed input's window. 128 KiB: fresh pages fault in
 * at ~20 us each on a busy machine, and a call per window costs far less (the
 * 20 MB map's conversion executes as many instructions with 128 KiB windows as
 * with 512 KiB, and touches 100 fewer pages); reading it whole would fault in
 * all 20 MB.
 */
export const WINDOW = 1 << 17;
/** Compressed bytes read at a time from a gzip input (a bigger buffer is only more fresh pages). */
const GZIP_READ = 1 << 16;
/** What format detection looks at (detectMapFormat reads at most this much). */
export const HEAD_BYTES = 4096;

/** Where an input's bytes come from: read() fills into[at, at + n) and returns n, 0 at the end. */
interface ByteSource {
  read(into: Buffer, at: number, length: number): number;
  close(): void;
}

/** A file read as it is. */
class FileSource implements ByteSource {
  private position = 0;

  constructor(
    private readonly file: string,
    private readonly fd: number,
  ) {}

  read(into: Buffer, at: number, length: number): number {
    let n: number;
    try {
      n = readSync(this.fd, into, at, length, this.position);
    } catch (err) {
      throw unreadable(this.file, err);
    }
    this.position += n;
    return n;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The parts of zlib's native handle that a Gunzip object drives (Node's own sync path drives it the same way). */
interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inAt: number, inLength: number, out: Buffer, at: number, size: number): void;
  onerror: (message: string, errno: number, code: string) => void;
}

/** An inflating handle, the state array its writeSync fills (output bytes left free, input bytes left unread). */
interface Inflater {
  handle: ZlibHandle;
  state: Uint32Array;
  close(): void;
}

// zlib.h's flush values, part of its ABI since 1995.
const Z_NO_FLUSH = 0;
const Z_FINISH = 4;

interface NativeZlib extends ZlibHandle {
  init(windowBits: number, level: number, memLevel: number, strategy: number, state: Uint32Array,
    onAsyncWrite: () => void, dictionary: undefined): void;
  close(): void;
}

/** Whether Node would warn about process.binding (DEP0111 is shown only with pending deprecations on). */
function pendingDeprecationsShown(): boolean {
  const flag = '--pending-deprecation';
  return process.execArgv.includes(flag) || (process.env.NODE_OPTIONS ?? '').includes(flag) ||
    process.env.NODE_PENDING_DEPRECATION === '1';
}

/**
 * Node's native gunzip handle straight from its zlib binding: what node:zlib's Gunzip wraps, without
 * loading node:zlib, which loads all of Node's stream modules first (twenty modules, 4-9 ms of a
 * conversion of a gzipped map here). process.binding is deprecated in the documentation only (a
 * warning only where pending deprecations are shown, where this is not used); where the binding or its
 * shape is not as expected, undefined, and node:zlib's Gunzip is used.
 */
function bindingInflater(): Inflater | undefined {
  if (pendingDeprecationsShown()) return undefined;
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding;
    const native = binding('zlib') as { Zlib?: new (mode: number) => NativeZlib };
    const mode = (binding('constants') as { zlib?: { GUNZIP?: number } }).zlib?.GUNZIP;
    if (typeof native.Zlib !== 'function' || typeof mode !== 'number') return undefined;
    const handle = new native.Zlib(mode);
    if (typeof handle.writeSync !== 'function' || typeof handle.init !== 'function') return undefined;
    const state = new Uint32Array(2);
    // node:zlib's defaults for a Gunzip: window 15 bits, default level, memory level 8, default strategy.
    handle.init(15, -1, 8, 0, state, () => {}, undefined);
    return { handle, state, close: () => handle.close() };
  } catch {
    return undefined;
  }
}

/** The handle inside node:zlib's Gunzip, or undefined when this Node's Gunzip lacks it. */
function moduleInflater(): Inflater | undefined {
  const gunzip = new (zlib().Gunzip)();
  const inner = gunzip as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: unknown };
  if (typeof inner._handle?.writeSync !== 'function' || !(inner._writeState instanceof Uint32Array)) {
    gunzip.close();
    return undefined;
  }
  return { handle: inner._handle as ZlibHandle, state: inner._writeState, close: () => gunzip.close() };
}

/**
 * A gzip file inflated straight into the caller's window: zlib's handle
 * driven synchronously, compressed input read through a reused buffer. No
 * stream, no output chunk allocated per 64 KiB and copied again (on the
 * 20 MB distribution map the stream's machinery and the fresh chunks cost
 * more than the inflating), and nothing held beyond the two buffers.
 */
class GunzipSource implements ByteSource {
  private readonly input = Buffer.allocUnsafeSlow(GZIP_READ);
  private inputAt = 0;
  private inputLeft = 0;
  private inputEnded = false;
  private inflated = 0;
  private failure: Error | undefined;
  private readonly compressed: FileSource;

  private constructor(
    private readonly file: string,
    fd: number,
    private readonly limit: number,
    private readonly inflater: Inflater,
  ) {
    this.compressed = new FileSource(file, fd);
    // zlib reports a data error through this callback, during writeSync.
    inflater.handle.onerror = (message, errno, code) => {
      this.failure = Object.assign(new Error(message), { errno, code });
    };
  }

  /** A GunzipSource, or undefined when this Node offers no zlib handle to drive. */
  static create(file: string, fd: number, limit: number, via: 'binding' | 'module'): GunzipSource | undefined {
    const inflater = (via === 'binding' ? bindingInflater() : undefined) ?? moduleInflater();
    return inflater && new GunzipSource(file, fd, limit, inflater);
  }

  read(into: Buffer, at: number, length: number): number {
    const { handle, state } = this.inflater;
    for (;;) {
      if (this.inputLeft === 0 && !this.inputEnded) {
        this.inputAt = 0;
        this.inputLeft = this.compressed.read(this.input, 0, this.input.length);
        this.inputEnded = this.inputLeft === 0;
      }
      const flush = this.inputEnded ? Z_FINISH : Z_NO_FLUSH;
      handle.writeSync(flush, this.input, this.inputAt, this.inputLeft, into, at, length);
      if (this.failure) throw cannotInflate(this.file, this.failure);
      const produced = length - state[0]!;
      const consumed = this.inputLeft - state[1]!;
      this.inputAt += consumed;
      this.inputLeft -= consumed;
      this.inflated += produced;
      if (this.inflated > this.limit) throw tooLarge(this.file, this.limit, undefined);
      if (produced > 0) return produced;
      // Nothing came out: the end, or zlib wants no more of what is left (the stream has ended).
      if (this.inputEnded || consumed === 0) return 0;
    }
  }

  close(): void {
    this.inflater.close();
    this.compressed.close();
  }
}

/** A gzip file inflated in one go, on the first read. */
class WholeGunzipSource implements ByteSource {
  private bytes: Buffer | undefined;
  private at = 0;

  constructor(
    private readonly file: string,
    private readonly fd: number,
    private readonly limit: number,
  ) {}

  read(into: Buffer, at: number, length: number): number {
    if (!this.bytes) {
      let compressed: Buffer;
      try {
        // From the descriptor's own position, 0: everything before read it with positioned reads.
        compressed = readFileSync(this.fd);
      } catch (err) {
        throw unreadable(this.file, err);
      }
      this.bytes = maybeGunzip(compressed, this.file, this.limit);
    }
    const n = this.bytes.copy(into, at, this.at, this.at + length);
    this.at += n;
    return n;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface InputOptions {
  /** Most bytes a gzip input may inflate to (MAX_INFLATED). */
  limit?: number;
  /** First window size (tests split lines across small windows). */
  window?: number;
  /** Scan with the WebAssembly line filter where there is one (default true; false: line-scan.ts only). */
  wasm?: boolean;
  /** Inflate gzip in one go, not through the window (as where zlib's handle is out of reach). */
  wholeGzip?: boolean;
  /** Where the zlib handle comes from: Node's binding where it can (default), or node:zlib's Gunzip. */
  zlib?: 'binding' | 'module';
}

/**
 * The spare scan window: inputs are scanned one after another, so one window
 * in wasm memory serves them all in turn, and its pages (fresh pages fault in
 * at ~20 us each on a busy machine) are touched once, not once per input.
 */
let spareWindow: WasmLineWindow | undefined;

/**
 * One input read front to back through a reused window, in wasm memory
 * when the wasm line filter runs here (see line-filter.ts): the file's
 * bytes, or for gzip its inflated bytes. Until it is scanned, an input
 * holds only its first bytes (head()); the scan window is taken then.
 */
export class InputReader {
  private lines: WasmLineWindow | undefined;
  /** Before the scan: the first bytes (head()); from the first scan or whole() on: the scan window. */
  private window: Buffer = Buffer.allocUnsafe(HEAD_BYTES);
  private scanning = false;
  /** window[0, filled) holds input not yet consumed. */
  private filled = 0;
  private ended = false;
  private source: ByteSource | undefined;
  private readonly windowSize: number;
  private readonly wasm: boolean;

  private constructor(
    readonly file: string,
    fd: number,
    options: InputOptions,
  ) {
    this.windowSize = options.window ?? WINDOW;
    this.wasm = options.wasm !== false;
    this.source = InputReader.sourceOf(file, fd, options);
  }

  /** The source of the input open as `fd`, which it owns from here on (and closes if this throws). */
  private static sourceOf(file: string, fd: number, options: InputOptions): ByteSource {
    let gzip: boolean;
    try {
      const magic = Buffer.alloc(2);
      gzip = readSync(fd, magic, 0, 2, 0) === 2 && isGzip(magic);
    } catch (err) {
      closeSync(fd);
      throw unreadable(file, err);
    }
    if (!gzip) return new FileSource(file, fd);
    const limit = options.limit ?? MAX_INFLATED;
    const source = options.wholeGzip ? undefined : GunzipSource.create(file, fd, limit, options.zlib ?? 'binding');
    return source ?? new WholeGunzipSource(file, fd, limit);
  }

  /** Open `file` (a SymbolMapError at line 0 if it cannot be read as a regular file). */
  static open(file: string, options: InputOptions = {}): InputReader {
    let fd: number;
    try {
      fd = openRegularFileSync(file);
    } catch (err) {
      throw unreadable(file, err);
    }
    return new InputReader(file, fd, options);
  }

  /** Read until the window is full or the input has ended. */
  private fill(): void {
    if (this.ended) return;
    const source = this.source;
    // Before the loop: after close() the window is empty, so the loop would not run to find this out.
    if (!source) throw new SymbolMapError(this.file, 0, 'read after close');
    while (this.filled < this.window.length) {
      const n = source.read(this.window, this.filled, this.window.length - this.filled);
      if (n === 0) {
        this.ended = true;
        this.closeSource();
        return;
      }
      this.filled += n;
    }
  }

  /** The first bytes of the input: HEAD_BYTES of them, or all of it when shorter. */
  async head(): Promise<Buffer> {
    this.fill();
    return this.window.subarray(0, this.filled);
  }

  /**
   * Move what head() read into the scan window: the spare one when it has
   * the size asked for, else a new one (as large as what is already read).
   */
  private startScanning(): void {
    if (this.scanning) return;
    this.scanning = true;
    let size = this.windowSize;
    while (size < this.filled) size *= 2;
    let lines: WasmLineWindow | undefined;
    if (this.wasm) {
      lines = spareWindow?.window.length === size ? spareWindow : WasmLineWindow.create(size);
      if (lines === spareWindow) spareWindow = undefined;
    }
    const window = lines?.window ?? Buffer.allocUnsafeSlow(size);
    this.window.copy(window, 0, 0, this.filled);
    this.lines = lines;
    this.window = window;
  }

  /** Give the scan window back for the next input; this reader holds nothing from here on. */
  private releaseWindow(): void {
    const lines = this.lines;
    this.lines = undefined;
    this.window = Buffer.alloc(0);
    this.filled = 0;
    if (lines && lines.window.length === WINDOW) spareWindow = lines;
  }

  /** The whole input (for YAML, which is parsed as a whole); valid until close(). */
  async whole(): Promise<Buffer> {
    this.startScanning();
    this.fill();
    while (!this.ended) {
      this.grow();
      this.fill();
    }
    return this.window.subarray(0, this.filled);
  }

  /**
   * Visit every line (see line-scan.ts), skipping the first `skip` lines
   * (headers checked on head()). With `select`, the visitor may be spared
   * the lines line-filter.ts says it does not need.
   */
  async forEachLine(visit: LineVisitor, skip = 0, select?: LineSelection): Promise<void> {
    this.startScanning();
    try {
      this.scanAll(visit, skip, select);
    } finally {
      this.close();
    }
  }

  private scanAll(visit: LineVisitor, skip: number, select: LineSelection | undefined): void {
    const cursor: LineCursor = { line: 0 };
    let from = 0;
    this.fill();
    while (cursor.line < skip) {
      const nl = this.window.subarray(0, this.filled).indexOf(10, from);
      if (nl >= 0) {
        from = nl + 1;
        cursor.line++;
      } else if (this.ended) {
        return;
      } else {
        this.grow();
        this.fill();
      }
    }
    const lines = select && this.lines;
    if (lines) lines.begin(select, cursor.line);
    for (;;) {
      const rest = lines
        ? lines.scanLines(from, this.filled, this.ended, cursor, visit)
        : scanLines(this.window, from, this.filled, this.ended, cursor, visit);
      if (this.ended) return;
      // Keep the unfinished line; a line longer than the whole window makes it grow.
      if (rest === 0) this.grow();
      else this.window.copy(this.window, 0, rest, this.filled);
      this.filled -= rest;
      from = 0;
      this.fill();
    }
  }

  private grow(): void {
    const size = this.window.length * 2;
    if (this.lines) {
      this.lines.grow(size);
      this.window = this.lines.window;
      return;
    }
    const bigger = Buffer.allocUnsafeSlow(size);
    this.window.copy(bigger, 0, 0, this.filled);
    this.window = bigger;
  }

  private closeSource(): void {
    this.source?.close();
    this.source = undefined;
  }

  /** Release the file and the window (forEachLine does it at its end; whole()'s bytes are the window). */
  close(): void {
    this.closeSource();
    this.releaseWindow();
  }
}
