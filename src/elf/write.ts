import { ByteWriter } from './bytes.js';
import { SHN, SHT, STB } from './constants.js';
import { ElfModelError } from './errors.js';
import {
  type RawShdr, SECTION_WORD_SIZE, groupMemberOffset, joinSymInfo, relEntrySize, writeHeader, writeRel, writeShdr, writeSym,
} from './layout.js';
import { type ElfFile, type ElfSymbol, findDanglingReference, Section } from './model.js';
import { StringTableBuilder } from './strtab.js';

/**
 * Serialize the model. Layout rules, chosen so that a no-op write reproduces
 * the input byte for byte and an edit changes as little as possible:
 * - a section whose new contents fit its old place stays there (tail zeroed);
 * - new or grown sections go after the last byte still in use, aligned;
 * - the section header table stays put unless it has to grow;
 * - bytes between sections (padding) are copied from the input;
 * - every reference (sh_link, sh_info, st_shndx, r_info, group members) is
 *   computed from the model now, never carried over as a number.
 */
export function writeElf(elf: ElfFile): Uint8Array {
  if (elf.readOnly) throw new ElfModelError(`${elf.fileName}: parsed without relocations (read-only); parse it again to write it`);
  prepareSymbols(elf);
  ensureExtendedIndexTable(elf);
  elf.renumber();
  checkReferences(elf);
  const encoded = encodeSections(elf);
  return emit(elf, encoded);
}

/** Locals must precede globals (gABI); keep relative order within each group. */
function prepareSymbols(elf: ElfFile): void {
  const syms = elf.symbols;
  let sawGlobal = false;
  let ordered = true;
  for (let i = 1; i < syms.length; i++) {
    if (syms[i]!.bind !== STB.LOCAL) sawGlobal = true;
    else if (sawGlobal) ordered = false;
  }
  if (ordered) return;
  const head = syms[0]!;
  const locals = syms.slice(1).filter((s) => s.bind === STB.LOCAL);
  const others = syms.slice(1).filter((s) => s.bind !== STB.LOCAL);
  syms.length = 0;
  syms.push(head, ...locals, ...others);
}

/** A symbol defined in a section numbered SHN_LORESERVE or above needs .symtab_shndx. */
function ensureExtendedIndexTable(elf: ElfFile): void {
  if (!elf.symtab) return;
  const needs = elf.sections.length >= SHN.LORESERVE;
  if (!needs) return;
  if (elf.sections.some((s) => s.type === SHT.SYMTAB_SHNDX && s.link === elf.symtab)) return;
  const t = new Section({ name: '.symtab_shndx', type: SHT.SYMTAB_SHNDX, addralign: 4n, entsize: 4n });
  t.link = elf.symtab;
  elf.addSection(t);
}

/** Nothing the file holds may refer to a section or symbol that is not in it. */
function checkReferences(elf: ElfFile): void {
  const secs = new Set(elf.sections);
  const syms = new Set(elf.symbols);
  const missing = findDanglingReference(elf, { section: (s) => !secs.has(s), symbol: (s) => !syms.has(s), word: 'missing' });
  if (missing) throw new ElfModelError(`${elf.fileName}: ${missing} (not in the file's section or symbol list)`);
}

interface Encoded {
  /** Contents to write for each section, by index. */
  data: Uint8Array[];
  nameOffsets: number[];
  /** sh_info of the symbol table: index of the first non-local symbol. */
  firstGlobal: number;
}

function encodeSections(elf: ElfFile): Encoded {
  const builders = new Map<Section, StringTableBuilder>();
  const builderFor = (s: Section): StringTableBuilder => {
    let b = builders.get(s);
    if (!b) builders.set(s, (b = new StringTableBuilder(s.data)));
    return b;
  };

  const nameOffsets: number[] = [0];
  if (elf.shstrtab) {
    const b = builderFor(elf.shstrtab);
    for (let i = 1; i < elf.sections.length; i++) {
      const s = elf.sections[i]!;
      nameOffsets.push(b.offsetOf(s.name, s.orig && s.orig.name === s.name ? s.orig.nameOffset : undefined));
    }
  }

  const symNames: number[] = [];
  if (elf.symtab?.link) {
    const b = builderFor(elf.symtab.link);
    for (const sym of elf.symbols) symNames.push(b.offsetOf(sym.name, sym.origName === sym.name ? sym.origNameOffset : undefined));
  }

  let firstGlobal = elf.symbols.length;
  for (let i = 1; i < elf.symbols.length; i++) {
    if (elf.symbols[i]!.bind !== STB.LOCAL) {
      firstGlobal = i;
      break;
    }
  }

  const data: Uint8Array[] = [];
  for (const s of elf.sections) {
    const b = builders.get(s);
    if (b) data.push(b.bytes());
    else if (s === elf.symtab) data.push(encodeSymtab(elf, symNames));
    else if (s.type === SHT.SYMTAB_SHNDX && s.link === elf.symtab) data.push(encodeExtendedIndices(elf));
    else if (s.relocations) data.push(encodeRelocations(elf, s));
    else if (s.groupMembers) data.push(encodeGroup(elf, s));
    else data.push(s.data);
  }
  return { data, nameOffsets, firstGlobal };
}

function encodeSymtab(elf: ElfFile, names: number[]): Uint8Array {
  const l = elf.layout;
  const out = new Uint8Array(elf.symbols.length * l.symSize);
  const w = new ByteWriter(out, elf.littleEndian);
  elf.symbols.forEach((sym, i) => {
    const shndx = sym.shndx;
    writeSym(w, l, i * l.symSize, {
      name: names[i] ?? 0,
      value: sym.value,
      size: sym.size,
      info: joinSymInfo(sym.bind, sym.type),
      other: sym.other,
      shndx: sym.section && shndx >= SHN.LORESERVE ? SHN.XINDEX : shndx,
    });
  });
  return out;
}

/** SHT_SYMTAB_SHNDX holds the real index where st_shndx says SHN_XINDEX, and 0 elsewhere (gABI). */
function encodeExtendedIndices(elf: ElfFile): Uint8Array {
  const out = new Uint8Array(elf.symbols.length * SECTION_WORD_SIZE);
  const w = new ByteWriter(out, elf.littleEndian);
  elf.symbols.forEach((sym, i) => {
    if (sym.section && sym.section.index >= SHN.LORESERVE) w.u32(i * SECTION_WORD_SIZE, sym.section.index);
  });
  return out;
}

function encodeRelocations(elf: ElfFile, s: Section): Uint8Array {
  const l = elf.layout;
  const isRela = s.type === SHT.RELA;
  const size = relEntrySize(l, isRela);
  const relocs = s.relocations!;
  const out = new Uint8Array(relocs.length * size);
  const w = new ByteWriter(out, elf.littleEndian);
  relocs.forEach((r, k) => writeRel(w, l, k * size, isRela, { offset: r.offset, sym: r.symbol.index, type: r.type, addend: r.addend }));
  return out;
}

function encodeGroup(elf: ElfFile, s: Section): Uint8Array {
  const members = s.groupMembers!;
  const out = new Uint8Array(groupMemberOffset(members.length));
  const w = new ByteWriter(out, elf.littleEndian);
  w.u32(0, s.groupFlags);
  members.forEach((m, k) => w.u32(groupMemberOffset(k), m.index));
  return out;
}

/**
 * The most a moved section's file offset is aligned to. sh_addralign says
 * where a loader puts the section in memory (the kernel copies every section
 * into memory it aligns itself), not where its bytes sit in the file; a page
 * is more than any reader needs. Without a cap one field of a malformed input
 * (sh_addralign 0x40000000) would pad the output to a gigabyte.
 */
const MAX_FILE_ALIGN = 4096n;

function alignUp(v: number, a: bigint): number {
  const capped = a > MAX_FILE_ALIGN ? MAX_FILE_ALIGN : a;
  const n = capped > 1n ? Number(capped) : 1;
  return Math.ceil(v / n) * n;
}

function emit(elf: ElfFile, enc: Encoded): Uint8Array {
  const l = elf.layout;
  const h = elf.header;
  const count = elf.sections.length;
  const origShoff = Number(h.shoff);
  const origCount = h.shoff === 0n ? 0 : elf.sections.reduce((n, s) => Math.max(n, (s.orig?.index ?? -1) + 1), 0);
  const originalShnum = h.shoff === 0n ? 0 : (h.shnum === 0 ? Number(elf.sections[0]?.nobitsSize ?? 0n) : h.shnum);

  // 1. What stays where it was.
  let end = Math.max(l.ehdrSize, h.ehsize);
  if (h.phnum > 0 && h.phoff !== 0n) end = Math.max(end, Number(h.phoff) + h.phnum * h.phentsize);
  const offsets: number[] = new Array(count).fill(-1);
  const moved: number[] = [];
  for (let i = 1; i < count; i++) {
    const s = elf.sections[i]!;
    const size = enc.data[i]!.length;
    if (s.type === SHT.NOBITS) continue;
    if (s.orig && size <= s.orig.size) {
      offsets[i] = s.orig.offset;
      end = Math.max(end, s.orig.offset + size);
    } else if (s.orig && size === 0) {
      offsets[i] = s.orig.offset;
    } else {
      moved.push(i);
    }
  }
  const shdrStays = origShoff !== 0 && count > 0 && count <= Math.max(originalShnum, origCount);
  if (shdrStays) end = Math.max(end, origShoff + count * l.shdrSize);

  // 2. What moves goes after everything that stayed.
  for (const i of moved) {
    const s = elf.sections[i]!;
    end = alignUp(end, s.addralign);
    offsets[i] = end;
    end += enc.data[i]!.length;
  }
  let shoff = 0;
  if (count > 0) {
    if (shdrStays) shoff = origShoff;
    else {
      end = alignUp(end, BigInt(l.wordAlign));
      shoff = end;
      end += count * l.shdrSize;
    }
  }
  for (let i = 1; i < count; i++) {
    const s = elf.sections[i]!;
    if (s.type === SHT.NOBITS) offsets[i] = s.orig ? s.orig.offset : alignUp(end, s.addralign);
  }

  // 3. Start from the input (padding, headers we keep), clear what is rewritten or gone.
  const out = new Uint8Array(end + elf.trailer.length);
  out.set(elf.original.subarray(0, Math.min(elf.extent, end)), 0);
  const clear = (from: number, len: number): void => {
    if (from < end) out.fill(0, from, Math.min(end, from + len));
  };
  for (const s of elf.originalRanges) clear(s.offset, s.size);
  if (origShoff !== 0) clear(origShoff, originalShnum * l.shdrSize);

  // 4. Contents, section headers, ELF header, trailer.
  for (let i = 1; i < count; i++) {
    const d = enc.data[i]!;
    if (d.length > 0 && elf.sections[i]!.type !== SHT.NOBITS) out.set(d, offsets[i]!);
  }
  const w = new ByteWriter(out, elf.littleEndian);
  const escapeCount = count >= SHN.LORESERVE;
  const shstrndx = elf.shstrtab ? elf.shstrtab.index : 0;
  const escapeStr = shstrndx >= SHN.LORESERVE;
  for (let i = 0; i < count; i++) {
    const s = elf.sections[i]!;
    writeShdr(w, l, shoff + i * l.shdrSize, i === 0 ? nullHeader(elf, s, escapeCount ? count : 0, escapeStr ? shstrndx : 0) : headerOf(elf, s, enc, offsets[i]!));
  }
  writeHeader(w, l, {
    ...h,
    shoff: BigInt(shoff),
    shentsize: count > 0 ? l.shdrSize : h.shentsize,
    shnum: escapeCount ? 0 : count,
    shstrndx: escapeStr ? SHN.XINDEX : shstrndx,
  });
  out.set(elf.trailer, end);
  return out;
}

function nullHeader(elf: ElfFile, s: Section, countEscape: number, strEscape: number): RawShdr {
  const usedEscape = elf.header.shoff !== 0n && elf.header.shnum === 0;
  return {
    name: s.orig?.nameOffset ?? 0,
    type: s.type,
    flags: s.flags,
    addr: s.addr,
    offset: BigInt(s.orig?.offset ?? 0),
    size: countEscape ? BigInt(countEscape) : usedEscape ? 0n : s.nobitsSize,
    link: strEscape ? strEscape : elf.header.shstrndx === SHN.XINDEX ? 0 : s.linkValue,
    info: s.infoValue,
    addralign: s.addralign,
    entsize: s.entsize,
  };
}

function headerOf(elf: ElfFile, s: Section, enc: Encoded, offset: number): RawShdr {
  let info: number;
  if (s.infoSection) info = s.infoSection.index;
  else if (s.infoSymbol) info = s.infoSymbol.index;
  else if (s === elf.symtab) info = enc.firstGlobal;
  else info = s.infoValue;
  return {
    name: enc.nameOffsets[s.index] ?? 0,
    type: s.type,
    flags: s.flags,
    addr: s.addr,
    offset: BigInt(offset),
    size: s.type === SHT.NOBITS ? s.nobitsSize : BigInt(enc.data[s.index]!.length),
    link: s.link ? s.link.index : s.linkValue,
    info,
    addralign: s.addralign,
    entsize: s.entsize,
  };
}

export type { ElfSymbol };
