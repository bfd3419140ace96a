import { ElfFormatError } from './errors.js';

/**
 * Bounds-checked, endian-aware reads from one file's bytes. Every read goes
 * through `need`, so a truncated or lying file becomes an ElfFormatError with
 * the offset, never a RangeError from DataView.
 */
export class ByteReader {
  /** For record readers that checked the whole record with `holds` first (layout.ts): one check, not one a field. */
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    readonly fileName: string,
  ) {
    // byteOffset/byteLength matter: Node Buffers are often slices of a pool.
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Whether `size` bytes at `offset` are inside the file. */
  holds(offset: number, size: number): boolean {
    return offset >= 0 && offset + size <= this.bytes.length;
  }

  need(offset: number, size: number, what: string, section?: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      throw new ElfFormatError(
        this.fileName,
        `${what} (${size} bytes) extends past the end of the file (${this.bytes.length} bytes)`,
        { offset, ...(section === undefined ? {} : { section }) },
      );
    }
  }

  u8(offset: number): number {
    this.need(offset, 1, 'byte');
    return this.view.getUint8(offset);
  }

  u16(offset: number): number {
    this.need(offset, 2, '16-bit field');
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(offset: number): number {
    this.need(offset, 4, '32-bit field');
    return this.view.getUint32(offset, this.littleEndian);
  }

  u64(offset: number): bigint {
    this.need(offset, 8, '64-bit field');
    return this.view.getBigUint64(offset, this.littleEndian);
  }

  /** An address-sized field: 4 bytes for ELF32, 8 for ELF64, always returned as bigint. */
  word(offset: number, is64: boolean): bigint {
    return is64 ? this.u64(offset) : BigInt(this.u32(offset));
  }

  signedWord(offset: number, is64: boolean): bigint {
    if (is64) {
      this.need(offset, 8, '64-bit field');
      return this.view.getBigInt64(offset, this.littleEndian);
    }
    this.need(offset, 4, '32-bit field');
    return BigInt(this.view.getInt32(offset, this.littleEndian));
  }
}

/** Endian-aware writes into a buffer whose size the layout already fixed. */
export class ByteWriter {
  /** For record writers (layout.ts): one DataView call a field. */
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(offset: number, v: number): void {
    this.view.setUint8(offset, v);
  }

  u16(offset: number, v: number): void {
    this.view.setUint16(offset, v, this.littleEndian);
  }

  u32(offset: number, v: number): void {
    this.view.setUint32(offset, v >>> 0, this.littleEndian);
  }

  u64(offset: number, v: bigint): void {
    // setBigUint64 stores any bigint modulo 2^64 (ToBigUint64): a negative addend needs no wrapping first.
    this.view.setBigUint64(offset, v, this.littleEndian);
  }

  word(offset: number, v: bigint, is64: boolean): void {
    if (is64) this.u64(offset, v);
    else this.u32(offset, Number(BigInt.asUintN(32, v)));
  }
}

/** Narrow a 64-bit file value to a JS number, or fail with the field's name. */
export function toSafeNumber(v: bigint, what: string, fileName: string, offset?: number): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    const where = offset === undefined ? {} : { offset };
    throw new ElfFormatError(fileName, `${what} 0x${v.toString(16)} is too large`, where);
  }
  return Number(v);
}

/** Read a NUL-terminated string starting at `offset` inside `table`. Latin-1: symbol names are bytes. */
export function readCString(table: Uint8Array, offset: number): string | undefined {
  if (offset < 0 || offset >= table.length) return undefined;
  const end = table.indexOf(0, offset);
  if (end < 0) return undefined;
  return latin1(table, offset, end);
}

/**
 * A string table decoded once, for reading many names from it: each name is
 * then a slice of one string, not a decode of its own. Same results as
 * readCString.
 */
export class StringTableText {
  private readonly text: string;

  constructor(table: Uint8Array) {
    this.text = latin1(table, 0, table.length);
  }

  at(offset: number): string | undefined {
    if (offset < 0 || offset >= this.text.length) return undefined;
    const end = this.text.indexOf('\0', offset);
    return end < 0 ? undefined : this.text.slice(offset, end);
  }
}

/**
 * Decode bytes 1:1 to UTF-16 code units. Symbol names are byte strings; latin1
 * keeps every byte (TextDecoder's 'latin1' is really windows-1252, which does not).
 */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  // Short names are the common case; a char loop beats a Buffer round trip for them.
  if (end - start < 48) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/**
 * Write `s` into `out` at `at`, one byte a UTF-16 code unit, its low byte (the inverse of latin1 for names
 * read from a file). Node's 'latin1' encoder does the same natively, which long strings are worth.
 */
export function writeLatin1(out: Uint8Array, at: number, s: string): void {
  if (s.length < 48) {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i) & 0xff;
    return;
  }
  Buffer.from(out.buffer, out.byteOffset, out.byteLength).write(s, at, s.length, 'latin1');
}
