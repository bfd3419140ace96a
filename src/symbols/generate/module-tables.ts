/**
 * Where a module's symbol table, string table and sections are, read straight
 * from its bytes without building the ELF model: the map generator reads four
 * thousand modules and needs nothing else from them.
 *
 * Only little-endian ELF64 with one SHT_SYMTAB and no extended section indices
 * is read here, and only when parseElf would accept the file too: every check
 * parseElf makes on the parts it reads without relocations is made here as a
 * yes/no question. Anything else (another class or byte order, a file parseElf
 * would refuse, a layout this reader does not check) gives null, and the caller
 * goes through parseElf, which either reads the file or names its problem.
 */
import {
  EI_CLASS, EI_DATA, LAYOUT64, LINK_IS_SECTION, SHDR_FIELD, SHF, SHN, SHT, SYM_FIELD, headerFieldOffset,
} from '../../elf/index.js';

const EHDR = LAYOUT64.ehdrSize;
const SHDR = LAYOUT64.shdrSize;
export const SYM_SIZE = LAYOUT64.symSize;
/** ELF64 field offsets, from the ELF layer's one table. */
const E = (field: Parameters<typeof headerFieldOffset>[1]): number => headerFieldOffset(LAYOUT64, field);
const SH = SHDR_FIELD[64];
export const SYM = SYM_FIELD[64];
/** \x7fELF read as one big-endian word. */
const ELF_MAGIC = 0x7f454c46;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;

export interface ModuleTables {
  shnum: number;
  /** Section names (latin1, as the ELF layer decodes them). */
  names: string[];
  types: Uint32Array;
  flags: BigUint64Array;
  offsets: Float64Array;
  sizes: Float64Array;
  /** File offset of .symtab's entries, their count and sh_info (first non-local). */
  symOffset: number;
  symCount: number;
  /** File offset and size of the symbol table's string table. */
  strOffset: number;
  strSize: number;
}

/** A 64-bit file field as a number, or -1 when it is beyond what parseElf accepts. */
function safeU64(b: Buffer, at: number): number {
  const hi = b.readUInt32LE(at + 4);
  if (hi > 0x1fffff) return -1;
  return hi * 0x100000000 + b.readUInt32LE(at);
}

/** NUL-terminated latin1 string at `offset` of a table, or undefined where parseElf's readCString fails. */
function cString(b: Buffer, tableOffset: number, tableSize: number, offset: number): string | undefined {
  if (offset >= tableSize) return undefined;
  const end = b.indexOf(0, tableOffset + offset);
  if (end < 0 || end >= tableOffset + tableSize) return undefined;
  return b.toString('latin1', tableOffset + offset, end);
}

function headerAccepted(b: Buffer): boolean {
  if (b.length < EHDR || b.readUInt32BE(0) !== ELF_MAGIC) return false;
  if (b[EI_CLASS] !== ELFCLASS64 || b[EI_DATA] !== ELFDATA2LSB) return false;
  if (b.readUInt16LE(E('ehsize')) !== EHDR) return false;
  const phnum = b.readUInt16LE(E('phnum'));
  if (phnum > 0) {
    const phoff = safeU64(b, E('phoff'));
    if (phoff < 0) return false;
    if (phoff !== 0 && phoff + phnum * b.readUInt16LE(E('phentsize')) > b.length) return false;
  }
  return true;
}

/** Sections with contents must lie in the file and not overlap each other, the ELF header or the section headers. */
function layoutAccepted(t: ModuleTables, shoff: number, fileSize: number): boolean {
  const starts = [0, shoff];
  const ends = [EHDR, shoff + t.shnum * SHDR];
  for (let i = 1; i < t.shnum; i++) {
    if (t.types[i] === SHT.NOBITS) continue;
    const start = t.offsets[i]!;
    const end = start + t.sizes[i]!;
    if (end > fileSize) return false;
    if (end === start) continue;
    starts.push(start);
    ends.push(end);
  }
  const order = starts.map((_, k) => k).sort((a, b) => starts[a]! - starts[b]! || ends[a]! - ends[b]!);
  for (let k = 1; k < order.length; k++) if (starts[order[k]!]! < ends[order[k - 1]!]!) return false;
  return true;
}

/** The module's tables, or null: read it with parseElf instead. */
export function readModuleTables(b: Buffer): ModuleTables | null {
  if (!headerAccepted(b)) return null;
  const shoff = safeU64(b, E('shoff'));
  const shnum = b.readUInt16LE(E('shnum'));
  const shstrndx = b.readUInt16LE(E('shstrndx'));
  // No section headers, or the SHN_LORESERVE escapes for huge counts: parseElf's business.
  if (shoff <= 0 || shnum === 0 || shstrndx === SHN.XINDEX || b.readUInt16LE(E('shentsize')) !== SHDR) return null;
  if (shoff + shnum * SHDR > b.length || shstrndx === 0 || shstrndx >= shnum) return null;
  const t: ModuleTables = {
    shnum,
    names: new Array<string>(shnum),
    types: new Uint32Array(shnum),
    flags: new BigUint64Array(shnum),
    offsets: new Float64Array(shnum),
    sizes: new Float64Array(shnum),
    symOffset: 0,
    symCount: 0,
    strOffset: 0,
    strSize: 0,
  };
  const links = new Uint32Array(shnum);
  const infos = new Uint32Array(shnum);
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR;
    t.types[i] = b.readUInt32LE(at + SH.type);
    t.flags[i] = b.readBigUInt64LE(at + SH.flags);
    const offset = safeU64(b, at + SH.offset);
    const size = safeU64(b, at + SH.size);
    if (offset < 0 || size < 0) return null;
    t.offsets[i] = offset;
    t.sizes[i] = i === 0 || t.types[i] === SHT.NOBITS ? 0 : size;
    links[i] = b.readUInt32LE(at + SH.link);
    infos[i] = b.readUInt32LE(at + SH.info);
  }
  if (t.types[shstrndx] !== SHT.STRTAB) return null;
  if (!layoutAccepted(t, shoff, b.length)) return null;
  const shstrOffset = t.offsets[shstrndx]!;
  const shstrSize = t.sizes[shstrndx]!;
  let symtab = -1;
  for (let i = 0; i < shnum; i++) {
    const nameOffset = b.readUInt32LE(shoff + i * SHDR + SH.name);
    const name = i === 0 && nameOffset === 0 ? '' : cString(b, shstrOffset, shstrSize, nameOffset);
    if (name === undefined) return null;
    t.names[i] = name;
    if (i === 0) continue;
    const type = t.types[i]!;
    const flags = t.flags[i]!;
    const linksSection = LINK_IS_SECTION.has(type) || (flags & SHF.LINK_ORDER) !== 0n;
    if (linksSection && links[i]! >= shnum) return null;
    if (type === SHT.SYMTAB_SHNDX || type === SHT.GROUP) return null;
    if (type === SHT.SYMTAB) {
      if (symtab >= 0) return null;
      symtab = i;
    } else if (type === SHT.REL || type === SHT.RELA || (type !== SHT.DYNSYM && (flags & SHF.INFO_LINK) !== 0n)) {
      if (infos[i]! >= shnum) return null;
    }
  }
  if (symtab < 0) return null;
  const entsize = b.readBigUInt64LE(shoff + symtab * SHDR + SH.entsize);
  if (entsize !== BigInt(SYM_SIZE) || t.sizes[symtab]! % SYM_SIZE !== 0) return null;
  const strtab = links[symtab]!;
  if (strtab === 0 || t.types[strtab] !== SHT.STRTAB) return null;
  t.symOffset = t.offsets[symtab]!;
  t.symCount = t.sizes[symtab]! / SYM_SIZE;
  t.strOffset = t.offsets[strtab]!;
  t.strSize = t.sizes[strtab]!;
  if (t.symCount > 0 && !symbolOrderAccepted(b, t, infos[symtab]!)) return null;
  return t;
}

/**
 * The first NUL in b[from, limit), or -1. A loop in JavaScript: symbol names are
 * short, and Buffer.indexOf's call into C++ cost more than the scan itself.
 */
export function nulBefore(b: Buffer, from: number, limit: number): number {
  for (let i = from; i < limit; i++) if (b[i] === 0) return i;
  return -1;
}

/** gABI: locals first, sh_info one past the last local; every name and section index readable. */
function symbolOrderAccepted(b: Buffer, t: ModuleTables, info: number): boolean {
  let firstNonLocal = t.symCount;
  const strEnd = t.strOffset + t.strSize;
  for (let k = 0; k < t.symCount; k++) {
    const at = t.symOffset + k * SYM_SIZE;
    const nameOffset = b.readUInt32LE(at + SYM.name);
    if (nameOffset !== 0) {
      if (nameOffset >= t.strSize) return false;
      if (nulBefore(b, t.strOffset + nameOffset, strEnd) < 0) return false;
    }
    const shndx = b.readUInt16LE(at + SYM.shndx);
    if (shndx === SHN.XINDEX || (shndx !== SHN.UNDEF && shndx < SHN.LORESERVE && shndx >= t.shnum)) return false;
    if (k === 0) continue;
    const local = b[at + SYM.info]! >> 4 === 0;
    if (!local && firstNonLocal === t.symCount) firstNonLocal = k;
    else if (local && firstNonLocal < k) return false;
  }
  return info === firstNonLocal;
}
