import { ByteReader } from './bytes.js';
import { type ClassLayout, type RawHeader, type RawRel, readRel, relEntrySize } from './layout.js';
import { SHT, STB } from './constants.js';
import { ElfModelError } from './errors.js';

/**
 * The editable model of a relocatable ELF file. Sections and symbols refer to
 * each other by object, never by index: indices are computed once, at write
 * time, so adding or removing entries cannot leave a stale number behind.
 */

/** Where a section sat in the input; absent for sections the caller added. */
export interface OriginalPlacement {
  index: number;
  offset: number;
  size: number;
  nameOffset: number;
  name: string;
}

export interface Relocation {
  offset: bigint;
  /** Machine-specific relocation type (R_X86_64_PC32, R_PPC64_REL24, ...). */
  type: number;
  symbol: ElfSymbol;
  /** Explicit addend for RELA; always 0n for REL (the addend is in the section contents). */
  addend: bigint;
}

/**
 * A relocation table as the input held it, decoded into Relocation objects
 * only when someone asks for them (Section.relocations). Most tables of a
 * module (debug information) are never edited: reading which symbols they
 * use, and writing their bytes back, needs no objects. The reader checked
 * every entry when it parsed the file, so decoding cannot fail.
 */
export interface EncodedRelocations {
  /** Each symbol the entries use, once (a table of thousands uses a few dozen), with its r_sym in the input. */
  readonly uses: readonly { readonly symbol: ElfSymbol; readonly index: number }[];
  /** The entries' bytes as the input held them. */
  readonly bytes: Uint8Array;
  /** The input's symbols in input order: what r_sym numbers. */
  readonly symbols: readonly ElfSymbol[];
  readonly layout: ClassLayout;
  readonly littleEndian: boolean;
  readonly rela: boolean;
}

/** The entries of an encoded table, as new objects (data, not a closure: a model stays structured-cloneable). */
export function decodeRelocations(t: EncodedRelocations): Relocation[] {
  const r = new ByteReader(t.bytes, t.littleEndian, '');
  const size = relEntrySize(t.layout, t.rela);
  const relocations: Relocation[] = new Array(t.bytes.length / size);
  // One record for every entry read; each Relocation is made from it.
  const record: RawRel = { offset: 0n, sym: 0, type: 0, addend: 0n };
  for (let k = 0; k < relocations.length; k++) {
    const { offset, sym, type, addend } = readRel(r, t.layout, k * size, t.rela, record);
    relocations[k] = { offset, type, symbol: t.symbols[sym]!, addend };
  }
  return relocations;
}

// The classes below declare their fields (`declare`: nothing emitted) and set every one in the
// constructor: a class field, even without an initialiser, is defined by a function of its own run
// for each new object, and a module's thousands of symbols are made before any of this is optimised.

export class Section {
  /** Position in the section header table; renumbered by ElfFile on every structural edit. */
  declare index: number;
  declare name: string;
  declare type: number;
  declare flags: bigint;
  declare addr: bigint;
  declare addralign: bigint;
  declare entsize: bigint;
  /** The section sh_link names, for types where sh_link is a section index. */
  declare link: Section | null;
  /** sh_link as a plain number, for types where it is not a section index. */
  declare linkValue: number;
  /** The section sh_info names (REL/RELA targets, SHF_INFO_LINK). */
  declare infoSection: Section | null;
  /** The signature symbol of an SHT_GROUP. */
  declare infoSymbol: ElfSymbol | null;
  /** sh_info as a plain number, for types where it is neither (the writer computes SYMTAB's). */
  declare infoValue: number;
  /**
   * File contents (empty for NOBITS). Re-encoded by the writer for SYMTAB, REL(A), GROUP, SYMTAB_SHNDX
   * and string tables.
   */
  declare data: Uint8Array;
  /** sh_size of a NOBITS section, which has no file contents. */
  declare nobitsSize: bigint;
  private declare decodedRelocations: Relocation[] | null;
  private declare encoded: EncodedRelocations | null;
  /** GRP_* flags word and member sections of an SHT_GROUP. */
  declare groupFlags: number;
  declare groupMembers: Section[] | null;
  declare orig: OriginalPlacement | null;

  constructor(init: {
    name: string; type: number; flags?: bigint; addralign?: bigint; entsize?: bigint; data?: Uint8Array;
  }) {
    this.index = -1;
    this.name = init.name;
    this.type = init.type;
    this.flags = init.flags ?? 0n;
    this.addr = 0n;
    this.addralign = init.addralign ?? 1n;
    this.entsize = init.entsize ?? 0n;
    this.link = null;
    this.linkValue = 0;
    this.infoSection = null;
    this.infoSymbol = null;
    this.infoValue = 0;
    this.data = init.data ?? new Uint8Array(0);
    this.nobitsSize = 0n;
    this.decodedRelocations = null;
    this.encoded = null;
    this.groupFlags = 0;
    this.groupMembers = null;
    this.orig = null;
  }

  /** Relocations of a REL/RELA section that refers to the symbol table (decoded from the input on first use). */
  get relocations(): Relocation[] | null {
    if (this.encoded) {
      this.decodedRelocations = decodeRelocations(this.encoded);
      this.encoded = null;
    }
    return this.decodedRelocations;
  }

  set relocations(relocations: Relocation[] | null) {
    this.encoded = null;
    this.decodedRelocations = relocations;
  }

  /** The reader's table, left encoded until `relocations` is asked for. */
  setEncodedRelocations(table: EncodedRelocations): void {
    this.encoded = table;
    this.decodedRelocations = null;
  }

  /** The input's table while nobody has asked for `relocations` (so nobody can have changed them); else null. */
  get encodedRelocations(): EncodedRelocations | null {
    return this.encoded;
  }

  /** Whether the section has a relocation list, decoded or not. */
  get hasRelocations(): boolean {
    return this.encoded !== null || this.decodedRelocations !== null;
  }

  /** Whether some relocation is against a symbol `test` accepts; reads an encoded table without decoding it. */
  hasRelocationAgainst(test: (symbol: ElfSymbol) => boolean): boolean {
    if (this.encoded) return this.encoded.uses.some((u) => test(u.symbol));
    const relocations = this.decodedRelocations;
    if (!relocations) return false;
    // An index loop calling `test` alone: asked of every relocation of a converted module, before any of
    // this is optimised, where some() would add a call a relocation.
    for (let k = 0; k < relocations.length; k++) if (test(relocations[k]!.symbol)) return true;
    return false;
  }

  get isRelocation(): boolean {
    return this.type === SHT.RELA || this.type === SHT.REL;
  }

  /** sh_size as the writer will emit it. */
  get size(): bigint {
    return this.type === SHT.NOBITS ? this.nobitsSize : BigInt(this.data.length);
  }
}

export class ElfSymbol {
  /** Position in the symbol table; renumbered by ElfFile on every structural edit. */
  declare index: number;
  declare name: string;
  declare value: bigint;
  declare size: bigint;
  declare bind: number;
  declare type: number;
  declare other: number;
  /** Defining section, or null when st_shndx is a reserved value (see `special`). */
  declare section: Section | null;
  /** st_shndx when it is not a section: SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_LIVEPATCH, ... */
  declare special: number;
  /** st_name and the name it pointed at in the input, so an unchanged name keeps its offset. */
  declare origName: string | null;
  declare origNameOffset: number;

  constructor(init: {
    name: string; value?: bigint; size?: bigint; bind: number; type: number; other?: number;
    section?: Section | null; special?: number;
  }) {
    this.index = -1;
    this.name = init.name;
    this.value = init.value ?? 0n;
    this.size = init.size ?? 0n;
    this.bind = init.bind;
    this.type = init.type;
    this.other = init.other ?? 0;
    this.section = init.section ?? null;
    this.special = init.special ?? 0;
    this.origName = null;
    this.origNameOffset = 0;
  }

  /** st_shndx as the writer will emit it (before any SHN_XINDEX escape). */
  get shndx(): number {
    return this.section ? this.section.index : this.special;
  }

  get isUndefined(): boolean {
    return this.section === null && this.special === 0;
  }

  get isLocal(): boolean {
    return this.bind === STB.LOCAL;
  }
}

export interface ElfFileInit {
  fileName: string;
  layout: ClassLayout;
  littleEndian: boolean;
  header: RawHeader;
  sections: Section[];
  symbols: ElfSymbol[];
  symtab: Section | null;
  shstrtab: Section | null;
  original: Uint8Array;
  extent: number;
}

export class ElfFile {
  readonly fileName: string;
  readonly layout: ClassLayout;
  readonly littleEndian: boolean;
  /** ELF header fields kept verbatim; e_shoff/e_shnum/e_shstrndx are recomputed on write. */
  readonly header: RawHeader;
  /** Section header table order; [0] is the null section. */
  readonly sections: Section[];
  /** .symtab order; [0] is the null symbol. */
  readonly symbols: ElfSymbol[];
  symtab: Section | null;
  shstrtab: Section | null;
  /** The input bytes: unchanged regions (gaps, headers) are copied from here. */
  readonly original: Uint8Array;
  /** End of the last ELF structure in the input; bytes past it form the trailer. */
  readonly extent: number;
  /** Bytes after the ELF data, e.g. an appended module signature. Kept unless cleared. */
  trailer: Uint8Array;
  /** Parsed without relocations (see ParseOptions): fine to inspect, refused by writeElf. */
  readOnly = false;
  /** File ranges the input's sections occupied; the writer clears those no longer used. */
  readonly originalRanges: readonly { offset: number; size: number }[];

  constructor(init: ElfFileInit) {
    this.fileName = init.fileName;
    this.layout = init.layout;
    this.littleEndian = init.littleEndian;
    this.header = init.header;
    this.sections = init.sections;
    this.symbols = init.symbols;
    this.symtab = init.symtab;
    this.shstrtab = init.shstrtab;
    this.original = init.original;
    this.extent = init.extent;
    this.trailer = init.original.subarray(init.extent);
    this.originalRanges = init.sections
      .filter((s) => s.orig && s.orig.size > 0)
      .map((s) => ({ offset: s.orig!.offset, size: s.orig!.size }));
    this.renumber();
  }

  get is64(): boolean {
    return this.layout.is64;
  }

  get machine(): number {
    return this.header.machine;
  }

  /** Recompute every section's and symbol's index from list order. */
  renumber(): void {
    // Index loops, not forEach: a call a symbol, for thousands of symbols, in code not yet optimised.
    for (let i = 0; i < this.sections.length; i++) this.sections[i]!.index = i;
    for (let i = 0; i < this.symbols.length; i++) this.symbols[i]!.index = i;
  }

  /** A name → section map built once; rebuild it after edits. First section wins on duplicate names. */
  sectionsByName(): Map<string, Section> {
    const m = new Map<string, Section>();
    for (const s of this.sections) if (!m.has(s.name)) m.set(s.name, s);
    return m;
  }

  /** Append a section after all existing ones (indices of existing sections do not move). */
  addSection(section: Section): Section {
    this.sections.push(section);
    section.index = this.sections.length - 1;
    return section;
  }

  /** Remove sections; see `remove`. */
  removeSections(pred: (s: Section) => boolean): Section[] {
    return this.remove({ sections: new Set(this.sections.slice(1).filter(pred)) }).sections;
  }

  /** Remove symbols; see `remove`. */
  removeSymbols(pred: (s: ElfSymbol) => boolean): ElfSymbol[] {
    return this.remove({ symbols: new Set(this.symbols.slice(1).filter(pred)) }).symbols;
  }

  /**
   * Remove sections and symbols together. What remains may not refer to
   * anything removed (links, relocation targets and symbols, group members and
   * signatures, defining sections); such a reference is an ElfModelError and
   * nothing is removed. References from removed items to each other are fine,
   * so a section, its relocation section and its symbols go in one call.
   */
  remove(what: { sections?: ReadonlySet<Section>; symbols?: ReadonlySet<ElfSymbol> }): {
    sections: Section[];
    symbols: ElfSymbol[];
  } {
    const secs = what.sections ?? new Set<Section>();
    const syms = what.symbols ?? new Set<ElfSymbol>();
    const refuse = (item: string): never => {
      throw new ElfModelError(`${this.fileName}: cannot remove the ${item}`);
    };
    if (this.sections[0] && secs.has(this.sections[0])) refuse('null section');
    if (this.symbols[0] && syms.has(this.symbols[0])) refuse('null symbol');
    if (this.symtab && secs.has(this.symtab)) refuse(`symbol table '${this.symtab.name}'`);
    if (this.shstrtab && secs.has(this.shstrtab)) refuse(`section name table '${this.shstrtab.name}'`);
    const dangling = findDanglingReference(this, {
      section: (s) => secs.has(s), symbol: (s) => syms.has(s), word: 'removed', noSymbols: syms.size === 0,
    });
    if (dangling) throw new ElfModelError(`${this.fileName}: ${dangling}`);
    keepOnly(this.sections, secs);
    keepOnly(this.symbols, syms);
    this.renumber();
    return { sections: [...secs], symbols: [...syms] };
  }

  /** Relocation sections that apply to `target`, in section order. */
  relocationSectionsFor(target: Section): Section[] {
    return this.sections.filter((s) => s.isRelocation && s.infoSection === target);
  }
}

/** Drop the members of `gone` from `list`, in place; a list none of whose entries go is left untouched. */
function keepOnly<T>(list: T[], gone: ReadonlySet<T>): void {
  if (gone.size === 0) return;
  const kept = list.filter((item) => !gone.has(item));
  list.length = 0;
  list.push(...kept);
}

/** Which sections and symbols are gone, and the word a message calls them by ('removed', 'missing'). */
export interface Absence {
  section(s: Section): boolean;
  symbol(s: ElfSymbol): boolean;
  word: string;
  /** No symbol is gone: the relocations need not be looked through (thousands of them after a conversion). */
  noSymbols?: boolean;
}

/**
 * The first reference from a section or symbol that is not gone to one that
 * is (links, relocation targets and symbols, group members and signatures,
 * defining sections), as a message; undefined when there is none. The one
 * home of these checks: remove() asks it about what it would remove, the
 * writer about what is not in the file.
 */
export function findDanglingReference(elf: ElfFile, gone: Absence): string | undefined {
  const w = gone.word;
  for (const s of elf.sections) {
    if (gone.section(s)) continue;
    const dangling =
      (s.link && gone.section(s.link) && `its sh_link to '${s.link.name}'`) ||
      (s.infoSection && gone.section(s.infoSection) && `its sh_info to '${s.infoSection.name}'`) ||
      (s.groupMembers?.find((m) => gone.section(m)) && 'a group member') ||
      (s.infoSymbol && gone.symbol(s.infoSymbol) && `its group signature '${s.infoSymbol.name}'`) ||
      (!gone.noSymbols && s.hasRelocationAgainst((sym) => gone.symbol(sym)) && `a relocation against a ${w} symbol`);
    if (dangling) return `section '${s.name}' still refers to something ${w}: ${dangling}`;
  }
  // An index loop: for-of over thousands of symbols allocates a result object a step until optimised.
  const symbols = elf.symbols;
  for (let k = 0; k < symbols.length; k++) {
    const sym = symbols[k]!;
    if (sym.section && !gone.symbol(sym) && gone.section(sym.section)) {
      return `symbol '${sym.name}' is defined in ${w} section '${sym.section.name}'`;
    }
  }
  return undefined;
}
