import { ByteReader, StringTableText, readCString, toSafeNumber } from './bytes.js';
import {
  ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, LINK_IS_SECTION, SHF, SHN, SHT, STB, sectionTypeName,
} from './constants.js';
import { ElfFormatError } from './errors.js';
import {
  EI_CLASS, EI_DATA, EI_NIDENT, LAYOUT32, LAYOUT64, SECTION_WORD_SIZE, type ClassLayout, groupMemberOffset,
  headerFieldOffset, type HeaderField, type RawShdr, type RawSym, readHeader, readShdr, readSym, relEntrySize,
  relSymbolIndex, relSymbolWords, symBind, symType,
} from './layout.js';
import { ElfFile, ElfSymbol, Section } from './model.js';

/**
 * Parse a relocatable (or any) ELF file into the editable model. Everything
 * the model does not interpret is kept as bytes, so writeElf(parseElf(x))
 * reproduces x exactly.
 *
 * @throws ElfFormatError naming the file, section and offset of the first problem.
 */
export interface ParseOptions {
  /**
   * Decode relocation sections (default true). Readers that only want symbols
   * (map generation over a whole kernel) skip the cost; the resulting model is
   * read-only: writeElf refuses it, since its relocations were never modelled.
   */
  relocations?: boolean;
}

export function parseElf(bytes: Uint8Array, fileName: string, options: ParseOptions = {}): ElfFile {
  if (bytes.length < EI_NIDENT || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfFormatError(fileName, 'not an ELF file (bad magic)', { offset: 0 });
  }
  const cls = bytes[EI_CLASS];
  const data = bytes[EI_DATA];
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) {
    throw new ElfFormatError(fileName, `unknown ELF class ${cls}`, { offset: EI_CLASS });
  }
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) {
    throw new ElfFormatError(fileName, `unknown ELF data encoding ${data}`, { offset: EI_DATA });
  }
  const layout = cls === ELFCLASS64 ? LAYOUT64 : LAYOUT32;
  const r = new ByteReader(bytes, data === ELFDATA2LSB, fileName);
  const elf = new Parser(r, layout, options.relocations !== false).parse();
  if (options.relocations === false) elf.readOnly = true;
  return elf;
}

class Parser {
  private readonly file: string;
  private raw: RawShdr[] = [];
  private sections: Section[] = [];
  private names: string[] = [];
  private shoff = 0;
  private symbolLastUsedIn: Uint32Array | undefined;

  constructor(
    private readonly r: ByteReader,
    private readonly l: ClassLayout,
    private readonly decodeRelocations: boolean,
  ) {
    this.file = r.fileName;
  }

  private fail(reason: string, index?: number, offset?: number): never {
    const section = index === undefined ? undefined : (this.names[index] ?? `#${index}`);
    throw new ElfFormatError(this.file, reason, {
      ...(section === undefined ? {} : { section }),
      ...(offset === undefined ? {} : { offset }),
    });
  }

  /** Fail about a field of the ELF header, pointing at that field. */
  private failHeader(reason: string, field: HeaderField): never {
    this.fail(reason, undefined, headerFieldOffset(this.l, field));
  }

  parse(): ElfFile {
    const { r, l } = this;
    const header = readHeader(r, l);
    if (header.ehsize !== l.ehdrSize) this.failHeader(`e_ehsize is ${header.ehsize}, expected ${l.ehdrSize}`, 'ehsize');
    let extent = l.ehdrSize;
    if (header.phnum > 0 && header.phoff !== 0n) {
      const phoff = toSafeNumber(header.phoff, 'e_phoff', this.file, headerFieldOffset(l, 'phoff'));
      r.need(phoff, header.phnum * header.phentsize, 'program header table');
      extent = Math.max(extent, phoff + header.phnum * header.phentsize);
    }

    // Section header table, with the SHN_LORESERVE escapes for huge counts.
    const shoff = toSafeNumber(header.shoff, 'e_shoff', this.file, headerFieldOffset(l, 'shoff'));
    this.shoff = shoff;
    let shnum = header.shnum;
    let shstrndx = header.shstrndx;
    if (shoff !== 0) {
      if (header.shentsize !== l.shdrSize) {
        this.failHeader(`e_shentsize is ${header.shentsize}, expected ${l.shdrSize}`, 'shentsize');
      }
      r.need(shoff, l.shdrSize, 'section header table');
      const first = readShdr(r, l, shoff);
      if (shnum === 0) shnum = toSafeNumber(first.size, 'section count in section 0', this.file, shoff);
      if (shstrndx === SHN.XINDEX) shstrndx = first.link;
      if (shnum === 0) {
        this.failHeader('e_shoff is set but the file has no sections (e_shnum and section 0 sh_size are 0)', 'shnum');
      }
      r.need(shoff, shnum * l.shdrSize, `section header table of ${shnum} entries`);
      extent = Math.max(extent, shoff + shnum * l.shdrSize);
    } else {
      if (shnum !== 0 || shstrndx !== 0) {
        this.failHeader(`e_shoff is 0 but e_shnum is ${shnum} and e_shstrndx ${shstrndx}`, 'shoff');
      }
      shnum = 0;
    }
    for (let i = 0; i < shnum; i++) this.raw.push(readShdr(r, l, this.shdrOffset(i)));

    // Section names first, so every later error can name its section.
    if (shnum > 0) {
      if (shstrndx === SHN.UNDEF || shstrndx >= shnum) {
        this.failHeader(`e_shstrndx ${shstrndx} is not a section index (${shnum} sections)`, 'shstrndx');
      }
      const strRaw = this.raw[shstrndx]!;
      if (strRaw.type !== SHT.STRTAB) {
        const type = sectionTypeName(strRaw.type);
        const reason = `e_shstrndx ${shstrndx} names a section of type ${type}, not a string table`;
        this.fail(reason, undefined, this.shdrOffset(shstrndx));
      }
      const strtab = this.contents(shstrndx, strRaw);
      for (let i = 0; i < shnum; i++) {
        const n = this.raw[i]!.name;
        const name = i === 0 && n === 0 ? '' : readCString(strtab, n);
        if (name === undefined) {
          const reason = `section name offset ${n} is outside the section name table or unterminated`;
          this.fail(reason, undefined, this.shdrOffset(i));
        }
        this.names.push(name);
      }
    }

    for (let i = 0; i < shnum; i++) {
      const h = this.raw[i]!;
      const name = this.names[i]!;
      const s = new Section({ name, type: h.type, flags: h.flags, addralign: h.addralign, entsize: h.entsize });
      s.addr = h.addr;
      const offset = this.safe(h.offset, 'sh_offset', i);
      const size = this.safe(h.size, 'sh_size', i);
      s.orig = { index: i, offset, size: h.type === SHT.NOBITS || i === 0 ? 0 : size, nameOffset: h.name, name };
      if (i === 0) {
        // The null section carries the count/strndx escapes; keep its raw fields.
        s.linkValue = h.link;
        s.infoValue = h.info;
        s.nobitsSize = h.size;
      } else if (h.type === SHT.NOBITS) {
        s.nobitsSize = h.size;
      } else {
        s.data = this.contents(i, h);
        if (size > 0) extent = Math.max(extent, offset + size);
      }
      this.sections.push(s);
    }

    this.checkOverlaps(shoff, shnum);
    this.resolveLinks();
    const symtab = this.findSymtab();
    const symbols = symtab ? this.readSymbols(symtab) : [];
    // The model's list changes with edits; relocation tables decoded later number the input's.
    const inputSymbols = symbols.slice();
    for (let i = 1; i < shnum; i++) this.resolveInfo(i, inputSymbols);

    return new ElfFile({
      fileName: this.file,
      layout: l,
      littleEndian: r.littleEndian,
      header,
      sections: this.sections,
      symbols,
      symtab: symtab ?? null,
      shstrtab: shnum > 0 ? this.sections[shstrndx]! : null,
      original: r.bytes,
      extent,
    });
  }

  /** A 64-bit header field of section i as a number, or an error naming the section. */
  private safe(v: bigint, field: string, i: number): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail(`${field} 0x${v.toString(16)} is too large`, i, this.shdrOffset(i));
    }
    return Number(v);
  }

  private contents(i: number, h: RawShdr): Uint8Array {
    if (h.type === SHT.NOBITS || i === 0) return new Uint8Array(0);
    const offset = this.safe(h.offset, 'sh_offset', i);
    const size = this.safe(h.size, 'sh_size', i);
    if (offset + size > this.r.length) {
      const fileSize = `0x${this.r.length.toString(16)} bytes`;
      this.fail(`contents (0x${size.toString(16)} bytes) extend past the end of the file (${fileSize})`, i, offset);
    }
    return this.r.bytes.subarray(offset, offset + size);
  }

  /**
   * Sections with contents may not overlap each other, the ELF header or the
   * section header table: an edit of one would silently change another.
   */
  private checkOverlaps(shoff: number, shnum: number): void {
    const ranges: { start: number; end: number; what: string; index?: number }[] = [
      { start: 0, end: this.l.ehdrSize, what: 'the ELF header' },
    ];
    if (shnum > 0) {
      ranges.push({ start: shoff, end: shoff + shnum * this.l.shdrSize, what: 'the section header table' });
    }
    for (let i = 1; i < shnum; i++) {
      const s = this.sections[i]!;
      const { offset, size } = s.orig!;
      if (s.type !== SHT.NOBITS && size > 0) {
        ranges.push({ start: offset, end: offset + size, what: `section '${s.name}'`, index: i });
      }
    }
    ranges.sort((a, b) => a.start - b.start || a.end - b.end);
    for (let k = 1; k < ranges.length; k++) {
      const prev = ranges[k - 1]!;
      const cur = ranges[k]!;
      if (cur.start < prev.end) {
        const subject = cur.index ?? prev.index;
        this.fail(`contents overlap ${cur.index === subject ? prev.what : cur.what}`, subject, cur.start);
      }
    }
  }

  private sectionRef(value: number, from: number, field: string): Section | null {
    if (value === 0) return null;
    if (value >= this.sections.length) {
      const reason = `${field} ${value} is not a section index (${this.sections.length} sections)`;
      this.fail(reason, from, this.shdrOffset(from));
    }
    return this.sections[value]!;
  }

  /** File offset of section i's header, for errors about its fields. */
  private shdrOffset(i: number): number {
    return this.shoff + i * this.l.shdrSize;
  }

  private resolveLinks(): void {
    for (let i = 1; i < this.sections.length; i++) {
      const s = this.sections[i]!;
      const h = this.raw[i]!;
      const linkIsSection = LINK_IS_SECTION.has(h.type) || (h.flags & SHF.LINK_ORDER) !== 0n;
      if (linkIsSection) s.link = this.sectionRef(h.link, i, 'sh_link');
      else s.linkValue = h.link;
    }
  }

  private findSymtab(): Section | undefined {
    let found: Section | undefined;
    for (const s of this.sections) {
      if (s.type !== SHT.SYMTAB) continue;
      if (found) {
        const reason = `a second symbol table (the first is '${found.name}'); only one SHT_SYMTAB is supported`;
        this.fail(reason, s.orig!.index, s.orig!.offset);
      }
      found = s;
    }
    return found;
  }

  private checkTable(s: Section, entsize: number, what: string): number {
    const i = s.orig!.index;
    if (s.entsize !== BigInt(entsize)) {
      this.fail(`${what} has sh_entsize ${s.entsize}, expected ${entsize}`, i, this.shdrOffset(i));
    }
    if (s.data.length % entsize !== 0) {
      const reason = `${what} size 0x${s.data.length.toString(16)} is not a multiple of its entry size ${entsize}`;
      this.fail(reason, i, s.orig!.offset);
    }
    return s.data.length / entsize;
  }

  private readSymbols(symtab: Section): ElfSymbol[] {
    const { r, l } = this;
    const si = symtab.orig!.index;
    const count = this.checkTable(symtab, l.symSize, 'symbol table');
    const strtab = symtab.link;
    if (!strtab || strtab.type !== SHT.STRTAB) {
      this.fail(`sh_link of the symbol table does not name a string table`, si, this.shdrOffset(si));
    }
    // Extended section indices, if any symbol needs them.
    let xindex: Section | undefined;
    for (const s of this.sections) if (s.type === SHT.SYMTAB_SHNDX && s.link === symtab) xindex = s;
    if (xindex && xindex.data.length < count * SECTION_WORD_SIZE) {
      const entries = xindex.data.length / SECTION_WORD_SIZE;
      this.fail(`has ${entries} entries for ${count} symbols`, xindex.orig!.index, xindex.orig!.offset);
    }

    const symbols: ElfSymbol[] = new Array(count);
    const base = symtab.orig!.offset;
    const names = new StringTableText(strtab.data);
    // One options object for every symbol (the constructor copies it), not one a symbol.
    const init: ConstructorParameters<typeof ElfSymbol>[0] & { value: bigint; size: bigint } = {
      name: '', value: 0n, size: 0n, bind: 0, type: 0, other: 0, section: null, special: 0,
    };
    // Likewise one record for every entry read.
    const record: RawSym = { name: 0, value: 0n, size: 0n, info: 0, other: 0, shndx: 0 };
    for (let k = 0; k < count; k++) {
      const at = base + k * l.symSize;
      const raw = readSym(r, l, at, record);
      const name = raw.name === 0 ? '' : names.at(raw.name);
      if (name === undefined) {
        this.fail(`symbol ${k}: st_name ${raw.name} is outside '${strtab.name}' or unterminated`, si, at);
      }
      let section: Section | null = null;
      let special = 0;
      let shndx = raw.shndx;
      // The extended table holds a symbol's real index exactly when st_shndx is SHN_XINDEX,
      // and that index is one st_shndx could not hold; 0 everywhere else (gABI). The writer
      // derives both from the section, so anything else is refused, not silently rewritten.
      const extAt = xindex ? xindex.orig!.offset + k * SECTION_WORD_SIZE : 0;
      const ext = xindex ? r.u32(extAt) : 0;
      if (shndx === SHN.XINDEX) {
        if (!xindex) {
          this.fail(`symbol ${k} '${name}' uses SHN_XINDEX but there is no SHT_SYMTAB_SHNDX section`, si, at);
        }
        if (ext < SHN.LORESERVE || ext >= this.sections.length) {
          const range = `SHN_LORESERVE..${this.sections.length - 1}`;
          const reason = `symbol ${k} '${name}': extended section index ${ext} is out of range (${range})`;
          this.fail(reason, xindex.orig!.index, extAt);
        }
        shndx = ext;
        section = this.sections[shndx]!;
      } else if (ext !== 0) {
        const reason = `entry ${k} is ${ext}, but symbol '${name}' does not use SHN_XINDEX; it must be 0`;
        this.fail(reason, xindex!.orig!.index, extAt);
      } else if (shndx !== SHN.UNDEF && shndx < SHN.LORESERVE) {
        if (shndx >= this.sections.length) {
          this.fail(`symbol ${k} '${name}': st_shndx ${shndx} is not a section index`, si, at);
        }
        section = this.sections[shndx]!;
      } else {
        special = shndx;
      }
      init.name = name;
      init.value = raw.value;
      init.size = raw.size;
      init.bind = symBind(raw.info);
      init.type = symType(raw.info);
      init.other = raw.other;
      init.section = section;
      init.special = special;
      const sym = new ElfSymbol(init);
      sym.origName = name;
      sym.origNameOffset = raw.name;
      symbols[k] = sym;
    }
    // gABI: locals first, and sh_info is one past the last local. The writer
    // recomputes sh_info from the order, so a file that breaks this is refused
    // rather than silently rewritten.
    let firstNonLocal = count;
    for (let k = 1; k < count; k++) {
      const bind = symbols[k]!.bind;
      if (bind !== STB.LOCAL && firstNonLocal === count) firstNonLocal = k;
      else if (bind === STB.LOCAL && firstNonLocal < k) {
        const reason = `symbol ${k} '${symbols[k]!.name}' is local but follows non-local symbol ${firstNonLocal}`
          + '; locals must come first';
        this.fail(reason, si, base + k * l.symSize);
      }
    }
    if (count > 0 && this.raw[si]!.info !== firstNonLocal) {
      const reason = `sh_info is ${this.raw[si]!.info}, but the first non-local symbol is ${firstNonLocal}`;
      this.fail(reason, si, this.shdrOffset(si));
    }
    return symbols;
  }

  private resolveInfo(i: number, symbols: ElfSymbol[]): void {
    const s = this.sections[i]!;
    const h = this.raw[i]!;
    switch (h.type) {
      case SHT.SYMTAB:
      case SHT.DYNSYM:
        s.infoValue = h.info;
        return;
      case SHT.REL:
      case SHT.RELA:
        s.infoSection = this.sectionRef(h.info, i, 'sh_info');
        if (this.decodeRelocations && s.link && s.link.type === SHT.SYMTAB) this.readRelocations(s, symbols);
        return;
      case SHT.GROUP:
        this.readGroup(s, h, symbols);
        return;
      default:
        if ((h.flags & SHF.INFO_LINK) !== 0n) s.infoSection = this.sectionRef(h.info, i, 'sh_info');
        else s.infoValue = h.info;
    }
  }

  private readRelocations(s: Section, symbols: ElfSymbol[]): void {
    const { r, l } = this;
    const isRela = s.type === SHT.RELA;
    const entsize = relEntrySize(l, isRela);
    const count = this.checkTable(s, entsize, `${sectionTypeName(s.type)} section`);
    const base = s.orig!.offset;
    // checkTable put every entry in the file; only r_sym can be wrong, and it is checked now, so
    // decoding later cannot fail.
    const uses: { symbol: ElfSymbol; index: number }[] = [];
    // One array for all tables: entry i is the last table (its section index) that used symbol i.
    const seen = (this.symbolLastUsedIn ??= new Uint32Array(symbols.length));
    const here = s.orig!.index;
    const fast = relSymbolWords(r, l, base, count, isRela);
    const words = fast?.words;
    const { stride, first, shift } = fast ?? { stride: 0, first: 0, shift: 0 };
    for (let k = 0; k < count; k++) {
      const at = base + k * entsize;
      const sym = words ? words[k * stride + first]! >>> shift : relSymbolIndex(r, l, at);
      if (sym >= symbols.length) {
        const reason = `relocation ${k}: symbol index ${sym} is out of range (${symbols.length} symbols)`;
        this.fail(reason, s.orig!.index, at);
      }
      if (seen[sym] !== here) {
        seen[sym] = here;
        uses.push({ symbol: symbols[sym]!, index: sym });
      }
    }
    s.setEncodedRelocations({ uses, bytes: s.data, symbols, layout: l, littleEndian: r.littleEndian, rela: isRela });
  }

  private readGroup(s: Section, h: RawShdr, symbols: ElfSymbol[]): void {
    const i = s.orig!.index;
    if (h.info >= symbols.length) {
      const reason = `group signature symbol index ${h.info} is out of range (${symbols.length} symbols)`;
      this.fail(reason, i, this.shdrOffset(i));
    }
    s.infoSymbol = symbols[h.info] ?? null;
    const word = SECTION_WORD_SIZE;
    if (s.data.length < word || s.data.length % word !== 0) {
      this.fail(`group section size ${s.data.length} is not a positive multiple of ${word}`, i, s.orig!.offset);
    }
    const base = s.orig!.offset;
    s.groupFlags = this.r.u32(base);
    const members: Section[] = [];
    for (let k = 0; groupMemberOffset(k) < s.data.length; k++) {
      const at = base + groupMemberOffset(k);
      const m = this.r.u32(at);
      if (m === 0 || m >= this.sections.length) this.fail(`group member ${m} is not a section index`, i, at);
      members.push(this.sections[m]!);
    }
    s.groupMembers = members;
  }
}
