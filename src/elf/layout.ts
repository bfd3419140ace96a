import type { ByteReader, ByteWriter } from './bytes.js';

/**
 * Field layouts of the ELF records we read and write, one table per class,
 * so no caller computes an offset by hand (the gABI's Elf32_* and Elf64_*).
 */

export interface RawHeader {
  ident: Uint8Array; // e_ident, 16 bytes, kept verbatim
  type: number;
  machine: number;
  version: number;
  entry: bigint;
  phoff: bigint;
  shoff: bigint;
  flags: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface RawShdr {
  name: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: bigint;
  size: bigint;
  link: number;
  info: number;
  addralign: bigint;
  entsize: bigint;
}

export interface RawSym {
  name: number;
  value: bigint;
  size: bigint;
  info: number;
  other: number;
  shndx: number;
}

export interface ClassLayout {
  is64: boolean;
  ehdrSize: number;
  shdrSize: number;
  symSize: number;
  relSize: number;
  relaSize: number;
  /** Natural alignment of address-sized data (relocation tables, symtab). */
  wordAlign: number;
  /** Bytes of an address-sized field (Elf32_Addr/Elf64_Addr, Off, Xword). */
  wordSize: 4 | 8;
}

export const LAYOUT32: ClassLayout = {
  is64: false, ehdrSize: 52, shdrSize: 40, symSize: 16, relSize: 8, relaSize: 12, wordAlign: 4, wordSize: 4,
};
export const LAYOUT64: ClassLayout = {
  is64: true, ehdrSize: 64, shdrSize: 64, symSize: 24, relSize: 16, relaSize: 24, wordAlign: 8, wordSize: 8,
};

/** e_ident indices (gABI): the class and data encoding bytes, and the size of e_ident. */
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_NIDENT = 16;

export type HeaderField =
  | 'type' | 'machine' | 'version' | 'entry' | 'phoff' | 'shoff' | 'flags'
  | 'ehsize' | 'phentsize' | 'phnum' | 'shentsize' | 'shnum' | 'shstrndx';

/** Where an ELF header field is: e_entry, e_phoff and e_shoff are address-sized, the rest follow them. */
export function headerFieldOffset(l: ClassLayout, field: HeaderField): number {
  const w = l.wordSize;
  const afterWords = 24 + 3 * w; // e_flags follows e_entry, e_phoff, e_shoff
  const offsets: Record<HeaderField, number> = {
    type: EI_NIDENT,
    machine: EI_NIDENT + 2,
    version: EI_NIDENT + 4,
    entry: 24,
    phoff: 24 + w,
    shoff: 24 + 2 * w,
    flags: afterWords,
    ehsize: afterWords + 4,
    phentsize: afterWords + 6,
    phnum: afterWords + 8,
    shentsize: afterWords + 10,
    shnum: afterWords + 12,
    shstrndx: afterWords + 14,
  };
  return offsets[field];
}

export function readHeader(r: ByteReader, l: ClassLayout): RawHeader {
  r.need(0, l.ehdrSize, 'ELF header');
  const at = (f: HeaderField) => headerFieldOffset(l, f);
  return {
    ident: r.bytes.slice(0, EI_NIDENT),
    type: r.u16(at('type')),
    machine: r.u16(at('machine')),
    version: r.u32(at('version')),
    entry: r.word(at('entry'), l.is64),
    phoff: r.word(at('phoff'), l.is64),
    shoff: r.word(at('shoff'), l.is64),
    flags: r.u32(at('flags')),
    ehsize: r.u16(at('ehsize')),
    phentsize: r.u16(at('phentsize')),
    phnum: r.u16(at('phnum')),
    shentsize: r.u16(at('shentsize')),
    shnum: r.u16(at('shnum')),
    shstrndx: r.u16(at('shstrndx')),
  };
}

export function writeHeader(wr: ByteWriter, l: ClassLayout, h: RawHeader): void {
  const at = (f: HeaderField) => headerFieldOffset(l, f);
  wr.bytes.set(h.ident, 0);
  wr.u16(at('type'), h.type);
  wr.u16(at('machine'), h.machine);
  wr.u32(at('version'), h.version);
  wr.word(at('entry'), h.entry, l.is64);
  wr.word(at('phoff'), h.phoff, l.is64);
  wr.word(at('shoff'), h.shoff, l.is64);
  wr.u32(at('flags'), h.flags);
  wr.u16(at('ehsize'), h.ehsize);
  wr.u16(at('phentsize'), h.phentsize);
  wr.u16(at('phnum'), h.phnum);
  wr.u16(at('shentsize'), h.shentsize);
  wr.u16(at('shnum'), h.shnum);
  wr.u16(at('shstrndx'), h.shstrndx);
}

/** Where each section header field is, per class (gABI): one table for the reader, the writer and fast paths. */
export const SHDR_FIELD = {
  32: { name: 0, type: 4, flags: 8, addr: 12, offset: 16, size: 20, link: 24, info: 28, addralign: 32, entsize: 36 },
  64: { name: 0, type: 4, flags: 8, addr: 16, offset: 24, size: 32, link: 40, info: 44, addralign: 48, entsize: 56 },
} as const;

/** Where each symbol table entry field is, per class: ELF64 moves st_info/st_other/st_shndx before st_value. */
export const SYM_FIELD = {
  32: { name: 0, value: 4, size: 8, info: 12, other: 13, shndx: 14 },
  64: { name: 0, info: 4, other: 5, shndx: 6, value: 8, size: 16 },
} as const;

const classOf = (l: ClassLayout): 32 | 64 => (l.is64 ? 64 : 32);

export function readShdr(r: ByteReader, l: ClassLayout, at: number): RawShdr {
  const f = SHDR_FIELD[classOf(l)];
  const word = (field: keyof typeof f): bigint => (l.is64 ? r.u64(at + f[field]) : BigInt(r.u32(at + f[field])));
  return {
    name: r.u32(at + f.name), type: r.u32(at + f.type), flags: word('flags'), addr: word('addr'),
    offset: word('offset'), size: word('size'), link: r.u32(at + f.link), info: r.u32(at + f.info),
    addralign: word('addralign'), entsize: word('entsize'),
  };
}

export function writeShdr(wr: ByteWriter, l: ClassLayout, at: number, s: RawShdr): void {
  const f = SHDR_FIELD[classOf(l)];
  wr.u32(at + f.name, s.name);
  wr.u32(at + f.type, s.type);
  wr.word(at + f.flags, s.flags, l.is64);
  wr.word(at + f.addr, s.addr, l.is64);
  wr.word(at + f.offset, s.offset, l.is64);
  wr.word(at + f.size, s.size, l.is64);
  wr.u32(at + f.link, s.link);
  wr.u32(at + f.info, s.info);
  wr.word(at + f.addralign, s.addralign, l.is64);
  wr.word(at + f.entsize, s.entsize, l.is64);
}

/**
 * The symbol table entry at `at`. A table reader passes `into`, one record it reuses for every entry
 * (the fields are copied out before the next read), rather than have a record made for each.
 */
export function readSym(r: ByteReader, l: ClassLayout, at: number, into?: RawSym): RawSym {
  // Every entry of a table the parser bounded: read it with one check. Otherwise field by
  // field, so the error names the first field past the end.
  if (!r.holds(at, l.symSize)) return readSymFieldByField(r, l, at);
  const v = r.view;
  const le = r.littleEndian;
  const out = into ?? { name: 0, value: 0n, size: 0n, info: 0, other: 0, shndx: 0 };
  const f = SYM_FIELD[classOf(l)];
  out.name = v.getUint32(at, le);
  out.info = v.getUint8(at + f.info);
  out.other = v.getUint8(at + f.other);
  out.shndx = v.getUint16(at + f.shndx, le);
  out.value = l.is64 ? v.getBigUint64(at + f.value, le) : BigInt(v.getUint32(at + f.value, le));
  out.size = l.is64 ? v.getBigUint64(at + f.size, le) : BigInt(v.getUint32(at + f.size, le));
  return out;
}

function readSymFieldByField(r: ByteReader, l: ClassLayout, at: number): RawSym {
  const f = SYM_FIELD[classOf(l)];
  const word = (field: 'value' | 'size'): bigint => (l.is64 ? r.u64(at + f[field]) : BigInt(r.u32(at + f[field])));
  return {
    name: r.u32(at + f.name), info: r.u8(at + f.info), other: r.u8(at + f.other), shndx: r.u16(at + f.shndx),
    value: word('value'), size: word('size'),
  };
}

export function writeSym(wr: ByteWriter, l: ClassLayout, at: number, s: RawSym): void {
  // Straight to the DataView, as readSym reads: one call a field, for each of thousands of symbols.
  const v = wr.view;
  const le = wr.littleEndian;
  const f = SYM_FIELD[classOf(l)];
  v.setUint32(at + f.name, s.name, le);
  v.setUint8(at + f.info, s.info);
  v.setUint8(at + f.other, s.other);
  v.setUint16(at + f.shndx, s.shndx, le);
  if (l.is64) {
    v.setBigUint64(at + f.value, s.value, le);
    v.setBigUint64(at + f.size, s.size, le);
  } else {
    wr.word(at + f.value, s.value, false);
    wr.word(at + f.size, s.size, false);
  }
}

/** st_info packing: binding in the high four bits, type in the low four (both classes). */
export function joinSymInfo(bind: number, type: number): number {
  return ((bind & 0xf) << 4) | (type & 0xf);
}

export const symBind = (info: number): number => info >> 4;
export const symType = (info: number): number => info & 0xf;

/** The fields of a REL or RELA entry besides its symbol; `addend` is 0n for REL, which has no r_addend. */
export interface RelFields {
  offset: bigint;
  type: number;
  addend: bigint;
}

/** One REL or RELA entry as read, r_info split. */
export interface RawRel extends RelFields {
  sym: number;
}

/** Entry size of a REL or RELA table. */
export function relEntrySize(l: ClassLayout, rela: boolean): number {
  return rela ? l.relaSize : l.relSize;
}

/**
 * Where ELF64 r_info's two 32-bit halves lie in a REL/RELA entry (r_info is the second 8-byte word):
 * r_sym is the high half, r_type the low, so which comes first depends on the byte order.
 */
const rSym64At = (littleEndian: boolean): number => (littleEndian ? 12 : 8);
const rType64At = (littleEndian: boolean): number => (littleEndian ? 8 : 12);

/**
 * r_offset, r_info, then (RELA only) r_addend, each address-sized; r_addend is signed. `into`, when
 * given, is filled and returned instead of a new record (see readSym).
 */
export function readRel(r: ByteReader, l: ClassLayout, at: number, rela: boolean, into?: RawRel): RawRel {
  if (!l.is64 || !r.holds(at, relEntrySize(l, rela))) return readRelFieldByField(r, l, at, rela);
  // ELF64 with the entry in the file: r_info as two 32-bit halves (symbol high, type low), no bigint arithmetic.
  const v = r.view;
  const le = r.littleEndian;
  const out = into ?? { offset: 0n, sym: 0, type: 0, addend: 0n };
  out.type = v.getUint32(at + rType64At(le), le);
  out.sym = relSymbolIndex(r, l, at);
  out.offset = v.getBigUint64(at, le);
  out.addend = rela ? v.getBigInt64(at + 16, le) : 0n;
  return out;
}

/**
 * Where r_sym lies in a REL/RELA entry: the byte offset of the 32-bit word that holds it (ELF64: the high
 * half of r_info; ELF32: r_info itself, the entry's second word) and the shift that leaves it (ELF32's
 * r_info is (sym << 8) | type). Numbers, not an object: relSymbolIndex runs once a relocation.
 */
const rSymWordAt = (l: ClassLayout, littleEndian: boolean): number => (l.is64 ? rSym64At(littleEndian) : l.wordSize);
const rSymShift = (l: ClassLayout): number => (l.is64 ? 0 : 8);

/** r_sym of the REL or RELA entry at `at`, which the caller knows lies in the file: splitRelInfo's, no bigint. */
export function relSymbolIndex(r: ByteReader, l: ClassLayout, at: number): number {
  return r.view.getUint32(at + rSymWordAt(l, r.littleEndian), r.littleEndian) >>> rSymShift(l);
}

/** Whether this machine's own byte order is little-endian (typed arrays read in it). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A relocation table as 32-bit words, each entry's r_sym at words[k * stride + first] >>> shift. */
export interface RelSymbolWords {
  words: Uint32Array;
  stride: number;
  first: number;
  shift: number;
}

/**
 * The `count` entries at `at` as words, when r_sym can be read from one word in this machine's byte
 * order (the file's order is the host's and the table is 4-aligned, as tables are): reading every
 * entry's symbol index then costs one typed-array load, not a DataView call, which matters for the
 * thousands of debug-info relocations a module carries and which run before any code is optimised.
 * Undefined otherwise; relSymbolIndex reads any entry.
 */
export function relSymbolWords(
  r: ByteReader, l: ClassLayout, at: number, count: number, rela: boolean,
): RelSymbolWords | undefined {
  const start = r.bytes.byteOffset + at;
  if (r.littleEndian !== HOST_LITTLE_ENDIAN || start % 4 !== 0) return undefined;
  const size = relEntrySize(l, rela);
  const words = new Uint32Array(r.bytes.buffer, start, (count * size) / 4);
  return { words, stride: size / 4, first: rSymWordAt(l, r.littleEndian) / 4, shift: rSymShift(l) };
}

function readRelFieldByField(r: ByteReader, l: ClassLayout, at: number, rela: boolean): RawRel {
  const w = l.wordSize;
  const { sym, type } = splitRelInfo(r.word(at + w, l.is64), l.is64);
  return { offset: r.word(at, l.is64), sym, type, addend: rela ? r.signedWord(at + 2 * w, l.is64) : 0n };
}

export function writeRel(
  wr: ByteWriter, l: ClassLayout, at: number, rela: boolean, e: Readonly<RelFields>, sym: number,
): void {
  const w = l.wordSize;
  if (l.is64) {
    // Straight to the DataView (see writeSym); setBigUint64 wraps a negative r_addend itself. r_info as its
    // two 32-bit halves, the symbol high: what joinRelInfo's bigint would hold, without the bigint.
    const v = wr.view;
    const le = wr.littleEndian;
    v.setBigUint64(at, e.offset, le);
    v.setUint32(at + rSym64At(le), sym, le);
    v.setUint32(at + rType64At(le), e.type, le);
    if (rela) v.setBigUint64(at + 2 * w, e.addend, le);
    return;
  }
  wr.word(at, e.offset, false);
  wr.word(at + w, joinRelInfo(sym, e.type, false), false);
  if (rela) wr.word(at + 2 * w, e.addend, false);
}

/**
 * SHT_GROUP and SHT_SYMTAB_SHNDX contents are arrays of Elf32_Word in either
 * class: a group is a GRP_* flags word then one section index per member, the
 * extended index table one section index per symbol.
 */
export const SECTION_WORD_SIZE = 4;

export function groupMemberOffset(k: number): number {
  return SECTION_WORD_SIZE * (k + 1);
}

/** r_info packing: ELF64 keeps the symbol in the high 32 bits, ELF32 in the high 24. */
export function splitRelInfo(info: bigint, is64: boolean): { sym: number; type: number } {
  if (is64) return { sym: Number(info >> 32n), type: Number(info & 0xffffffffn) };
  const v = Number(info);
  return { sym: v >>> 8, type: v & 0xff };
}

export function joinRelInfo(sym: number, type: number, is64: boolean): bigint {
  if (is64) return (BigInt(sym) << 32n) | BigInt(type >>> 0);
  return BigInt(((sym << 8) | (type & 0xff)) >>> 0);
}
