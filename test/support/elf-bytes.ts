/**
 * The tests' own small ELF reader and patcher (ELF32 and ELF64, either byte
 * order). It finds header fields, section headers, symbols and relocation
 * entries by offset, so a test can overwrite one field (malformed inputs),
 * read what a conversion wrote (readElfBytes / readElfFile, also used by the
 * e2e checks), and lay out a file (elf-builder.ts). It shares no code with
 * src/elf: the tests judge the code under test with their own eyes, and a
 * bug there must not hide a bug here.
 */
import { readFileSync } from 'node:fs';

export interface ShdrInfo {
  index: number;
  /** File offset of this section header. */
  at: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export interface ElfShape {
  is64: boolean;
  le: boolean;
  ehsize: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
  sections: ShdrInfo[];
  /** Offsets of e_* fields in the ELF header. */
  field: Record<
    | 'type'
    | 'machine'
    | 'version'
    | 'entry'
    | 'phoff'
    | 'shoff'
    | 'flags'
    | 'ehsize'
    | 'phentsize'
    | 'phnum'
    | 'shentsize'
    | 'shnum'
    | 'shstrndx',
    number
  >;
  /** Offsets of sh_* fields inside a section header. */
  shField: Record<
    'name' | 'type' | 'flags' | 'addr' | 'offset' | 'size' | 'link' | 'info' | 'addralign' | 'entsize',
    number
  >;
  symSize: number;
  /** Offsets of st_* fields inside a symbol. */
  stField: Record<'name' | 'value' | 'size' | 'info' | 'other' | 'shndx', number>;
}

export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_REL = 9;
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;
export const SHF_ALLOC = 0x2n;
export const SHF_INFO_LINK = 0x40n;
export const SHF_RELA_LIVEPATCH = 0x00100000n;
export const SHN_UNDEF = 0;
export const SHN_LIVEPATCH = 0xff20;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function readUint(b: Uint8Array, at: number, width: 1 | 2 | 4 | 8, le: boolean): bigint {
  const v = view(b);
  switch (width) {
    case 1:
      return BigInt(v.getUint8(at));
    case 2:
      return BigInt(v.getUint16(at, le));
    case 4:
      return BigInt(v.getUint32(at, le));
    case 8:
      return v.getBigUint64(at, le);
  }
}

export function writeUint(b: Uint8Array, at: number, width: 1 | 2 | 4 | 8, le: boolean, value: bigint | number): void {
  const v = view(b);
  const x = BigInt(value);
  switch (width) {
    case 1:
      v.setUint8(at, Number(BigInt.asUintN(8, x)));
      break;
    case 2:
      v.setUint16(at, Number(BigInt.asUintN(16, x)), le);
      break;
    case 4:
      v.setUint32(at, Number(BigInt.asUintN(32, x)), le);
      break;
    case 8:
      v.setBigUint64(at, BigInt.asUintN(64, x), le);
      break;
  }
}

/** Offsets of the e_* fields in an ELF header of this class. */
export function headerFields(is64: boolean): ElfShape['field'] {
  const w = is64 ? 8 : 4;
  return {
    type: 16,
    machine: 18,
    version: 20,
    entry: 24,
    phoff: 24 + w,
    shoff: 24 + 2 * w,
    flags: 24 + 3 * w,
    ehsize: 28 + 3 * w,
    phentsize: 30 + 3 * w,
    phnum: 32 + 3 * w,
    shentsize: 34 + 3 * w,
    shnum: 36 + 3 * w,
    shstrndx: 38 + 3 * w,
  };
}

/** Offsets of the sh_* fields inside a section header of this class. */
export function sectionHeaderFields(is64: boolean): ElfShape['shField'] {
  return is64
    ? { name: 0, type: 4, flags: 8, addr: 16, offset: 24, size: 32, link: 40, info: 44, addralign: 48, entsize: 56 }
    : { name: 0, type: 4, flags: 8, addr: 12, offset: 16, size: 20, link: 24, info: 28, addralign: 32, entsize: 36 };
}

/** Offsets of the st_* fields inside a symbol of this class. */
export function symbolFields(is64: boolean): ElfShape['stField'] {
  return is64
    ? { name: 0, info: 4, other: 5, shndx: 6, value: 8, size: 16 }
    : { name: 0, value: 4, size: 8, info: 12, other: 13, shndx: 14 };
}

/** Sizes of the records of this class: header, section header, symbol, REL and RELA entries. */
export function recordSizes(is64: boolean): { ehdr: number; shdr: number; sym: number; rel: number; rela: number } {
  return is64 ? { ehdr: 64, shdr: 64, sym: 24, rel: 16, rela: 24 } : { ehdr: 52, shdr: 40, sym: 16, rel: 8, rela: 12 };
}

/** Reads the shape of a well-formed ELF file (throws plain Errors on garbage: test inputs only). */
export function elfShape(b: Uint8Array): ElfShape {
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const w = is64 ? 8 : 4;
  const f = headerFields(is64);
  const shField = sectionHeaderFields(is64);
  const stField = symbolFields(is64);
  const word = (at: number): number => Number(readUint(b, at, w as 4 | 8, le));
  const u16 = (at: number): number => Number(readUint(b, at, 2, le));
  const u32 = (at: number): number => Number(readUint(b, at, 4, le));
  const shoff = word(f.shoff);
  const shentsize = u16(f.shentsize);
  let shnum = u16(f.shnum);
  let shstrndx = u16(f.shstrndx);
  if (shnum === 0 && shoff !== 0) shnum = word(shoff + shField.size);
  if (shstrndx === 0xffff) shstrndx = u32(shoff + shField.link);
  const sections: ShdrInfo[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    sections.push({
      index: i,
      at,
      name: '',
      type: u32(at + shField.type),
      flags: readUint(b, at + shField.flags, w as 4 | 8, le),
      addr: readUint(b, at + shField.addr, w as 4 | 8, le),
      offset: word(at + shField.offset),
      size: word(at + shField.size),
      link: u32(at + shField.link),
      info: u32(at + shField.info),
      addralign: word(at + shField.addralign),
      entsize: word(at + shField.entsize),
    });
  }
  const strtab = sections[shstrndx];
  if (strtab) {
    for (const s of sections) {
      const nameOff = u32(s.at + shField.name);
      let end = strtab.offset + nameOff;
      while (b[end] !== 0 && end < b.length) end++;
      s.name = Buffer.from(b.subarray(strtab.offset + nameOff, end)).toString('latin1');
    }
  }
  return {
    is64,
    le,
    ehsize: u16(f.ehsize),
    shoff,
    shentsize,
    shnum,
    shstrndx,
    sections,
    field: f,
    shField,
    symSize: recordSizes(is64).sym,
    stField,
  };
}

export function sectionByName(shape: ElfShape, name: string): ShdrInfo {
  const s = shape.sections.find((x) => x.name === name);
  if (!s) throw new Error(`test input has no section '${name}'`);
  return s;
}

export function firstSectionOfType(shape: ElfShape, type: number): ShdrInfo {
  const s = shape.sections.find((x) => x.type === type);
  if (!s) throw new Error(`test input has no section of type ${type}`);
  return s;
}

/** Width of a header field. */
export function headerFieldWidth(shape: ElfShape, name: keyof ElfShape['field']): 2 | 4 | 8 {
  if (name === 'entry' || name === 'phoff' || name === 'shoff') return shape.is64 ? 8 : 4;
  if (name === 'version' || name === 'flags') return 4;
  return 2;
}

export function shFieldWidth(shape: ElfShape, name: keyof ElfShape['shField']): 4 | 8 {
  if (name === 'name' || name === 'type' || name === 'link' || name === 'info') return 4;
  return shape.is64 ? 8 : 4;
}

/** A copy of `b` with one ELF header field set. */
export function withHeaderField(b: Uint8Array, name: keyof ElfShape['field'], value: bigint | number): Uint8Array {
  const shape = elfShape(b);
  const out = b.slice();
  writeUint(out, shape.field[name], headerFieldWidth(shape, name), shape.le, value);
  return out;
}

/** A copy of `b` with one field of section `name`'s header set. */
export function withSectionField(
  b: Uint8Array,
  section: string | number,
  field: keyof ElfShape['shField'],
  value: bigint | number,
): { bytes: Uint8Array; at: number } {
  const shape = elfShape(b);
  const s = typeof section === 'number' ? shape.sections[section]! : sectionByName(shape, section);
  const out = b.slice();
  const at = s.at + shape.shField[field];
  writeUint(out, at, shFieldWidth(shape, field), shape.le, value);
  return { bytes: out, at };
}

/** File offset of symbol `k` in .symtab. */
export function symbolOffset(shape: ElfShape, k: number): number {
  const symtab = firstSectionOfType(shape, SHT_SYMTAB);
  return symtab.offset + k * shape.symSize;
}

export function symbolCount(shape: ElfShape): number {
  const symtab = firstSectionOfType(shape, SHT_SYMTAB);
  return symtab.size / shape.symSize;
}

/** Index of the first symbol whose st_shndx is a regular section index (>0, <0xff00). */
export function firstDefinedSymbol(b: Uint8Array, shape: ElfShape): number {
  const n = symbolCount(shape);
  for (let k = 1; k < n; k++) {
    const shndx = Number(readUint(b, symbolOffset(shape, k) + shape.stField.shndx, 2, shape.le));
    if (shndx > 0 && shndx < 0xff00) return k;
  }
  throw new Error('no defined symbol');
}

/** Says what lives at `offset` in a file of this shape: a header field, a section header field or section contents. */
export function describeOffset(shape: ElfShape, offset: number): string {
  const ehsize = recordSizes(shape.is64).ehdr;
  if (offset < ehsize) {
    let best = '';
    for (const [k, v] of Object.entries(shape.field)) if (v <= offset) best = k;
    return offset < 16 ? `e_ident[${offset}]` : `ELF header e_${best}`;
  }
  if (offset >= shape.shoff && offset < shape.shoff + shape.shnum * shape.shentsize && shape.shentsize > 0) {
    const i = Math.floor((offset - shape.shoff) / shape.shentsize);
    const within = offset - shape.shoff - i * shape.shentsize;
    let best = '';
    for (const [k, v] of Object.entries(shape.shField)) if (v <= within) best = k;
    return `section header [${i}] '${shape.sections[i]?.name ?? '?'}' sh_${best}`;
  }
  for (const s of shape.sections) {
    if (s.index > 0 && s.type !== 8 && offset >= s.offset && offset < s.offset + s.size) {
      const rel = offset - s.offset;
      const entry = s.entsize > 0 ? ` entry ${Math.floor(rel / s.entsize)} byte ${rel % s.entsize}` : '';
      return `contents of [${s.index}] '${s.name}' +0x${rel.toString(16)}${entry}`;
    }
  }
  return `padding or unclaimed bytes at 0x${offset.toString(16)}`;
}

export interface ElfSymbolInfo {
  index: number;
  name: string;
  value: bigint;
  size: bigint;
  bind: number;
  type: number;
  other: number;
  /** st_shndx as stored (SHN_XINDEX is not resolved). */
  shndx: number;
}

export interface ElfRelocInfo {
  offset: bigint;
  type: number;
  symbol: ElfSymbolInfo;
  /** r_addend; 0 for SHT_REL entries. */
  addend: bigint;
}

/** What readElfBytes finds: sections, symbols, and each relocation section's entries on demand. */
export interface ElfContents {
  file: string;
  shape: ElfShape;
  sections: ShdrInfo[];
  symbols: ElfSymbolInfo[];
  section(name: string): ShdrInfo | undefined;
  /** The entries of a REL or RELA section. */
  relas(sec: ShdrInfo): ElfRelocInfo[];
  /** The strings of .modinfo ([] without one). */
  modinfo(): string[];
}

function cstring(b: Uint8Array, at: number): string {
  let end = at;
  while (end < b.length && b[end] !== 0) end++;
  return Buffer.from(b.subarray(at, end)).toString('latin1');
}

/** Reads the sections, symbols and relocations of a well-formed ELF file; `file` names it in errors. */
export function readElfBytes(b: Uint8Array, file = '<bytes>'): ElfContents {
  if (readUint(b, 0, 4, false) !== 0x7f454c46n || (b[4] !== 1 && b[4] !== 2) || (b[5] !== 1 && b[5] !== 2)) {
    throw new Error(`${file}: not an ELF file`);
  }
  const shape = elfShape(b);
  const { le, is64, stField } = shape;
  const u = (at: number, width: 1 | 2 | 4 | 8): bigint => readUint(b, at, width, le);
  const w = is64 ? 8 : 4;
  const symtab = shape.sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) throw new Error(`${file}: no symbol table`);
  const strtab = shape.sections[symtab.link];
  if (!strtab) throw new Error(`${file}: bad symtab sh_link`);
  const symbols: ElfSymbolInfo[] = [];
  for (let i = 0; i < symtab.size / shape.symSize; i++) {
    const o = symtab.offset + i * shape.symSize;
    const info = Number(u(o + stField.info, 1));
    symbols.push({
      index: i,
      name: cstring(b, strtab.offset + Number(u(o + stField.name, 4))),
      value: u(o + stField.value, w),
      size: u(o + stField.size, w),
      bind: info >> 4,
      type: info & 0xf,
      other: Number(u(o + stField.other, 1)),
      shndx: Number(u(o + stField.shndx, 2)),
    });
  }
  const byName = new Map(shape.sections.map((s) => [s.name, s]));
  const sizes = recordSizes(is64);
  return {
    file,
    shape,
    sections: shape.sections,
    symbols,
    section: (name) => byName.get(name),
    relas(sec) {
      const rela = sec.type === SHT_RELA;
      const entSize = rela ? sizes.rela : sizes.rel;
      const out: ElfRelocInfo[] = [];
      for (let i = 0; i < sec.size / entSize; i++) {
        const o = sec.offset + i * entSize;
        const info = u(o + w, w);
        const symIndex = Number(is64 ? info >> 32n : info >> 8n);
        const symbol = symbols[symIndex];
        if (!symbol) throw new Error(`${file}: ${sec.name}: relocation ${i} has a bad symbol index`);
        out.push({
          offset: u(o, w),
          type: Number(is64 ? info & 0xffffffffn : info & 0xffn),
          symbol,
          addend: rela ? BigInt.asIntN(w * 8, u(o + 2 * w, w)) : 0n,
        });
      }
      return out;
    },
    modinfo() {
      const mi = byName.get('.modinfo');
      if (!mi) return [];
      const text = Buffer.from(b.subarray(mi.offset, mi.offset + mi.size)).toString('latin1');
      return text.split('\0').filter((x) => x.length > 0);
    },
  };
}

/** readElfBytes on a file. */
export function readElfFile(file: string): ElfContents {
  return readElfBytes(new Uint8Array(readFileSync(file)), file);
}
