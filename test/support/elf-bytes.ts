/**
 * A deliberately small, independent ELF reader/patcher for building malformed
 * inputs in tests: it finds header fields, section headers, symbols and
 * relocation entries by offset so a test can overwrite one field. It shares
 * no code with src/elf (a bug there must not hide a bug here).
 */

export interface ShdrInfo {
  index: number;
  /** File offset of this section header. */
  at: number;
  name: string;
  type: number;
  flags: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
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
  field: Record<'type' | 'machine' | 'version' | 'entry' | 'phoff' | 'shoff' | 'flags' | 'ehsize' | 'phentsize' | 'phnum' | 'shentsize' | 'shnum' | 'shstrndx', number>;
  /** Offsets of sh_* fields inside a section header. */
  shField: Record<'name' | 'type' | 'flags' | 'addr' | 'offset' | 'size' | 'link' | 'info' | 'addralign' | 'entsize', number>;
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

/** Reads the shape of a well-formed ELF file (throws plain Errors on garbage: test inputs only). */
export function elfShape(b: Uint8Array): ElfShape {
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const w = is64 ? 8 : 4;
  const f = {
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
  const shField = is64
    ? { name: 0, type: 4, flags: 8, addr: 16, offset: 24, size: 32, link: 40, info: 44, addralign: 48, entsize: 56 }
    : { name: 0, type: 4, flags: 8, addr: 12, offset: 16, size: 20, link: 24, info: 28, addralign: 32, entsize: 36 };
  const stField = is64
    ? { name: 0, info: 4, other: 5, shndx: 6, value: 8, size: 16 }
    : { name: 0, value: 4, size: 8, info: 12, other: 13, shndx: 14 };
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
      offset: word(at + shField.offset),
      size: word(at + shField.size),
      link: u32(at + shField.link),
      info: u32(at + shField.info),
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
    symSize: is64 ? 24 : 16,
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
  const ehsize = shape.is64 ? 64 : 52;
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
