import { SHN, SHT, STB } from './constants.js';
import { ElfModelError } from './errors.js';
import type { FileLayout, FileRange, PlacedSection, SectionContents } from './file-layout.js';
import {
  type ClassLayout, type RawHeader, type RawShdr, SECTION_WORD_SIZE, groupMemberOffset, relEntrySize,
} from './layout.js';
import {
  type ElfFile, type ElfSymbol, type EncodedRelocations, Section, decodeRelocations, findDanglingReference,
} from './model.js';
import { StringTableBuilder } from './strtab.js';

/**
 * Decide everything about the file writeElf will produce, without touching
 * the model: the caller's sections, symbols and their indices stay as they
 * were, so a model can be written, edited further and written again.
 *
 * Layout rules, chosen so that a no-op write reproduces the input byte for
 * byte and an edit changes as little as possible:
 * - locals precede globals in the symbol table (gABI), each group in model order;
 * - a symbol table whose sections reach SHN_LORESERVE gets a .symtab_shndx;
 * - a section whose new contents fit its old place stays there (tail zeroed);
 * - new or grown sections go after the last byte still in use, aligned;
 * - the section header table stays put unless it has to grow;
 * - bytes between sections (padding) are copied from the input;
 * - every reference (sh_link, sh_info, st_shndx, r_info, group members) is
 *   computed from the model now, never carried over as a number.
 */
export function finalizeLayout(elf: ElfFile): FileLayout {
  if (elf.readOnly) {
    throw new ElfModelError(`${elf.fileName}: parsed without relocations (read-only); parse it again to write it`);
  }
  checkReferences(elf);
  const order = new Order(withExtendedIndexTable(elf), localsFirst(elf.symbols));
  const names = nameOffsets(elf, order);
  const contents = order.sections.map((s, i) => contentsOf(elf, order, names, s, i));
  const l = elf.layout;
  const sizes = contents.map((c) => contentsSize(l, c));
  const place = placeSections(elf, order.sections, sizes);

  const count = order.sections.length;
  const shstrndx = elf.shstrtab ? order.section(elf.shstrtab) : 0;
  const escapeCount = count >= SHN.LORESERVE;
  const escapeStr = shstrndx >= SHN.LORESERVE;
  const firstGlobal = firstNonLocal(order.symbols);
  const sections: PlacedSection[] = order.sections.map((s, i) => {
    const placed = { name: names.sections[i] ?? 0, offset: place.offsets[i]!, size: sizes[i]!, firstGlobal };
    const header =
      i === 0 ? nullHeader(elf, s, escapeCount ? count : 0, escapeStr ? shstrndx : 0) : headerOf(elf, order, s, placed);
    return Object.freeze({ header: Object.freeze(header), contents: contents[i]! });
  });
  const header: RawHeader = {
    ...elf.header,
    shoff: BigInt(place.shoff),
    shentsize: count > 0 ? l.shdrSize : elf.header.shentsize,
    shnum: escapeCount ? 0 : count,
    shstrndx: escapeStr ? SHN.XINDEX : shstrndx,
  };
  return Object.freeze({
    fileName: elf.fileName,
    classLayout: l,
    littleEndian: elf.littleEndian,
    header: Object.freeze(header),
    sections: Object.freeze(sections),
    inherited: elf.original.subarray(0, Math.min(elf.extent, place.end)),
    cleared: Object.freeze(place.cleared),
    imageSize: place.end,
    trailer: elf.trailer,
    size: place.end + elf.trailer.length,
  });
}

/** Nothing the file holds may refer to a section or symbol that is not in it. */
function checkReferences(elf: ElfFile): void {
  const absent = {
    section: absentFrom(elf.sections),
    symbol: absentFrom(elf.symbols),
    word: 'missing',
  };
  const missing = findDanglingReference(elf, absent);
  if (missing) throw new ElfModelError(`${elf.fileName}: ${missing} (not in the file's section or symbol list)`);
}

/**
 * A test of "not in `list`" for sections or symbols. An entry's index is normally its place in the
 * list (the model renumbers on every structural edit), which answers without a set of the whole list;
 * the set is made only for an entry whose index does not say (a list edited in place).
 */
function absentFrom<T extends { index: number }>(list: readonly T[]): (item: T) => boolean {
  let members: Set<T> | undefined;
  return (item) => list[item.index] !== item && !(members ??= new Set(list)).has(item);
}

/** The section and symbol orders of the written file, and each entry's index in them. */
class Order {
  private readonly sectionIndex: ReadonlyMap<Section, number> | null;
  private readonly symbolIndex: ReadonlyMap<ElfSymbol, number> | null;

  constructor(
    readonly sections: readonly Section[],
    readonly symbols: readonly ElfSymbol[],
  ) {
    // Usually each entry's model index already is its place in the file; then no map is needed.
    this.sectionIndex = indicesArePlaces(sections) ? null : new Map(sections.map((s, i) => [s, i]));
    this.symbolIndex = indicesArePlaces(symbols) ? null : new Map(symbols.map((s, i) => [s, i]));
  }

  /** Index of a section in the file; checkReferences made sure every referenced one is there. */
  section(s: Section): number {
    return this.sectionIndex ? this.sectionIndex.get(s)! : s.index;
  }

  symbol(s: ElfSymbol): number {
    return this.symbolIndex ? this.symbolIndex.get(s)! : s.index;
  }

  /** st_shndx before any SHN_XINDEX escape: the defining section's index, or the reserved value. */
  shndx(sym: ElfSymbol): number {
    return sym.section ? this.section(sym.section) : sym.special;
  }
}

/**
 * Whether each entry's index is its place in `list`. An index loop, as the other loops over every symbol
 * here: they run before any of this is optimised, where a callback a symbol costs a call each.
 */
function indicesArePlaces(list: readonly { index: number }[]): boolean {
  for (let i = 0; i < list.length; i++) if (list[i]!.index !== i) return false;
  return true;
}

/** The model's sections, plus a .symtab_shndx when symbols may be defined at SHN_LORESERVE or above. */
function withExtendedIndexTable(elf: ElfFile): Section[] {
  const sections = [...elf.sections];
  if (!elf.symtab || elf.sections.length < SHN.LORESERVE) return sections;
  if (elf.sections.some((s) => s.type === SHT.SYMTAB_SHNDX && s.link === elf.symtab)) return sections;
  const table = new Section({ name: '.symtab_shndx', type: SHT.SYMTAB_SHNDX, addralign: 4n, entsize: 4n });
  table.link = elf.symtab;
  sections.push(table);
  return sections;
}

/**
 * Locals must precede globals (gABI); keep relative order within each group. A list already in that
 * order (every parsed file, and a conversion adds no symbol) is returned as it is, not copied.
 */
function localsFirst(symbols: readonly ElfSymbol[]): readonly ElfSymbol[] {
  let sawGlobal = false;
  for (let i = 1; i < symbols.length; i++) {
    if (symbols[i]!.bind !== STB.LOCAL) sawGlobal = true;
    else if (sawGlobal) return regrouped(symbols);
  }
  return symbols;
}

function regrouped(symbols: readonly ElfSymbol[]): ElfSymbol[] {
  const rest = symbols.slice(1);
  return [symbols[0]!, ...rest.filter((s) => s.bind === STB.LOCAL), ...rest.filter((s) => s.bind !== STB.LOCAL)];
}

/** The symbol table's sh_info: index of the first non-local symbol. */
function firstNonLocal(symbols: readonly ElfSymbol[]): number {
  for (let i = 1; i < symbols.length; i++) if (symbols[i]!.bind !== STB.LOCAL) return i;
  return symbols.length;
}

interface NameOffsets {
  /** sh_name of each section, by index (only [0] when there is no section name table). */
  sections: number[];
  /** st_name of each symbol, by index (all 0 when the symbol table links no string table). */
  symbols: Uint32Array;
  /** The contents of each string table the names went into. */
  tables: Map<Section, Uint8Array>;
}

/** Unchanged names keep their offsets; new ones are appended to their table (see StringTableBuilder). */
function nameOffsets(elf: ElfFile, order: Order): NameOffsets {
  const builders = new Map<Section, StringTableBuilder>();
  const builderFor = (s: Section): StringTableBuilder => {
    let b = builders.get(s);
    if (!b) builders.set(s, (b = new StringTableBuilder(s.data)));
    return b;
  };
  const sections: number[] = [0];
  if (elf.shstrtab) {
    const b = builderFor(elf.shstrtab);
    for (let i = 1; i < order.sections.length; i++) {
      const s = order.sections[i]!;
      sections.push(b.offsetOf(s.name, s.orig && s.orig.name === s.name ? s.orig.nameOffset : undefined));
    }
  }
  const symbols = new Uint32Array(order.symbols.length);
  if (elf.symtab?.link) {
    const b = builderFor(elf.symtab.link);
    for (let k = 0; k < order.symbols.length; k++) {
      const sym = order.symbols[k]!;
      symbols[k] = b.offsetOf(sym.name, sym.origName === sym.name ? sym.origNameOffset : undefined);
    }
  }
  return { sections, symbols, tables: new Map([...builders].map(([s, b]) => [s, b.bytes()])) };
}

function contentsOf(elf: ElfFile, order: Order, names: NameOffsets, s: Section, i: number): SectionContents {
  if (i === 0 || s.type === SHT.NOBITS) return { kind: 'none' };
  const table = names.tables.get(s);
  if (table) return { kind: 'bytes', bytes: table };
  if (s === elf.symtab) return symbolTable(order, names);
  if (s.type === SHT.SYMTAB_SHNDX && s.link === elf.symtab) {
    // The real index where st_shndx says SHN_XINDEX, and 0 elsewhere (gABI).
    const entries = new Uint32Array(order.symbols.length);
    order.symbols.forEach((sym, k) => {
      if (sym.section && order.shndx(sym) >= SHN.LORESERVE) entries[k] = order.shndx(sym);
    });
    return { kind: 'extended-indices', entries };
  }
  const encoded = s.encodedRelocations;
  if (encoded && symbolsKeepTheirIndices(order, encoded)) return { kind: 'bytes', bytes: encoded.bytes };
  // Decoded here, not through s.relocations: writing leaves the model as it was.
  const relocations = encoded ? decodeRelocations(encoded) : s.relocations;
  if (relocations) {
    const symbols = new Uint32Array(relocations.length);
    for (let k = 0; k < relocations.length; k++) symbols[k] = order.symbol(relocations[k]!.symbol);
    return { kind: 'relocations', rela: s.type === SHT.RELA, entries: relocations, symbols };
  }
  if (s.groupMembers) {
    return { kind: 'group', flags: s.groupFlags, members: s.groupMembers.map((m) => order.section(m)) };
  }
  return { kind: 'bytes', bytes: s.data };
}

/**
 * Whether every symbol an undecoded table uses has the index it had in the
 * input: then the input's bytes are the table's encoding, and it is copied,
 * not decoded and encoded again.
 */
function symbolsKeepTheirIndices(order: Order, table: EncodedRelocations): boolean {
  return table.uses.every((u) => order.symbol(u.symbol) === u.index);
}

function symbolTable(order: Order, names: NameOffsets): SectionContents {
  const count = order.symbols.length;
  const shndx = new Uint32Array(count);
  for (let k = 0; k < count; k++) {
    const sym = order.symbols[k]!;
    const index = order.shndx(sym);
    shndx[k] = sym.section && index >= SHN.LORESERVE ? SHN.XINDEX : index;
  }
  return { kind: 'symbols', entries: order.symbols, names: names.symbols, shndx };
}

/** Bytes a section's contents take in the file (the emitter checks it wrote exactly these). */
export function contentsSize(l: ClassLayout, c: SectionContents): number {
  switch (c.kind) {
    case 'none':
      return 0;
    case 'bytes':
      return c.bytes.length;
    case 'symbols':
      return c.entries.length * l.symSize;
    case 'extended-indices':
      return c.entries.length * SECTION_WORD_SIZE;
    case 'relocations':
      return c.entries.length * relEntrySize(l, c.rela);
    case 'group':
      return groupMemberOffset(c.members.length);
  }
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

interface Placement {
  /** sh_offset of each section, by index. */
  offsets: number[];
  shoff: number;
  /** End of the ELF image. */
  end: number;
  cleared: FileRange[];
}

function placeSections(elf: ElfFile, sections: readonly Section[], sizes: readonly number[]): Placement {
  const l = elf.layout;
  const h = elf.header;
  const count = sections.length;
  const origShoff = Number(h.shoff);
  const origCount = h.shoff === 0n ? 0 : sections.reduce((n, s) => Math.max(n, (s.orig?.index ?? -1) + 1), 0);
  const originalShnum = h.shoff === 0n ? 0 : h.shnum === 0 ? Number(sections[0]?.nobitsSize ?? 0n) : h.shnum;

  // 1. What stays where it was.
  let end = Math.max(l.ehdrSize, h.ehsize);
  if (h.phnum > 0 && h.phoff !== 0n) end = Math.max(end, Number(h.phoff) + h.phnum * h.phentsize);
  const offsets: number[] = new Array(count).fill(-1);
  const moved: number[] = [];
  for (let i = 1; i < count; i++) {
    const s = sections[i]!;
    const size = sizes[i]!;
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
    end = alignUp(end, sections[i]!.addralign);
    offsets[i] = end;
    end += sizes[i]!;
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
    const s = sections[i]!;
    if (s.type === SHT.NOBITS) offsets[i] = s.orig ? s.orig.offset : alignUp(end, s.addralign);
  }

  // 3. What the input held that is rewritten or gone, as far as the new image reaches.
  const cleared: FileRange[] = [];
  const clear = (from: number, len: number): void => {
    if (from < end) cleared.push({ offset: from, size: Math.min(end, from + len) - from });
  };
  for (const s of elf.originalRanges) clear(s.offset, s.size);
  if (origShoff !== 0) clear(origShoff, originalShnum * l.shdrSize);
  return { offsets, shoff, end, cleared };
}

/** Section 0 keeps its input fields, except the escapes for a section count or shstrndx too large for the header. */
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

interface Placed {
  name: number;
  offset: number;
  size: number;
  firstGlobal: number;
}

function headerOf(elf: ElfFile, order: Order, s: Section, at: Placed): RawShdr {
  let info: number;
  if (s.infoSection) info = order.section(s.infoSection);
  else if (s.infoSymbol) info = order.symbol(s.infoSymbol);
  else if (s === elf.symtab) info = at.firstGlobal;
  else info = s.infoValue;
  return {
    name: at.name,
    type: s.type,
    flags: s.flags,
    addr: s.addr,
    offset: BigInt(at.offset),
    size: s.type === SHT.NOBITS ? s.nobitsSize : BigInt(at.size),
    link: s.link ? order.section(s.link) : s.linkValue,
    info,
    addralign: s.addralign,
    entsize: s.entsize,
  };
}
