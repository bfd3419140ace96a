// A deliberately small ELF64 little-endian reader for the e2e checks.
//
// It is independent of src/elf on purpose: the e2e tests judge klp-convert's
// output with their own eyes (and the kernel's), not with the code under test.
import { readFileSync } from 'node:fs';

export const SHT_SYMTAB = 2;
export const SHT_RELA = 4;
export const SHF_ALLOC = 0x2n;
export const SHF_INFO_LINK = 0x40n;
export const SHF_RELA_LIVEPATCH = 0x00100000n;
export const SHN_UNDEF = 0;
export const SHN_LIVEPATCH = 0xff20;

export interface LiteSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface LiteSymbol {
  index: number;
  name: string;
  value: bigint;
  bind: number;
  type: number;
  shndx: number;
}

export interface LiteRela {
  offset: bigint;
  type: number;
  symbol: LiteSymbol;
  addend: bigint;
}

export interface LiteElf {
  file: string;
  sections: LiteSection[];
  symbols: LiteSymbol[];
  section(name: string): LiteSection | undefined;
  relas(sec: LiteSection): LiteRela[];
  modinfo(): string[];
}

function cstr(buf: Buffer, at: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 ? buf.length : end);
}

/** Read the sections, symbols and relocations of a 64-bit .ko (x86_64, ppc64le: little-endian; s390x: big-endian). */
export function readElf(file: string): LiteElf {
  const buf = readFileSync(file);
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || (buf[5] !== 1 && buf[5] !== 2)) {
    throw new Error(`${file}: not an ELF64 file`);
  }
  const le = buf[5] === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u64 = (o: number) => (le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  const i64 = (o: number) => (le ? buf.readBigInt64LE(o) : buf.readBigInt64BE(o));
  const shoff = Number(u64(0x28));
  const shentsize = u16(0x3a);
  const shnum = u16(0x3c);
  const shstrndx = u16(0x3e);
  const raw: Omit<LiteSection, 'name'>[] = [];
  const nameOffs: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    nameOffs.push(u32(o));
    raw.push({
      index: i,
      type: u32(o + 4),
      flags: u64(o + 8),
      offset: Number(u64(o + 24)),
      size: Number(u64(o + 32)),
      link: u32(o + 40),
      info: u32(o + 44),
      entsize: Number(u64(o + 56)),
    });
  }
  const shstr = raw[shstrndx];
  if (!shstr) throw new Error(`${file}: bad e_shstrndx`);
  const sections: LiteSection[] = raw.map((s, i) => ({ ...s, name: cstr(buf, shstr.offset + nameOffs[i]!) }));
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) throw new Error(`${file}: no symbol table`);
  const strtab = sections[symtab.link];
  if (!strtab) throw new Error(`${file}: bad symtab sh_link`);
  const symbols: LiteSymbol[] = [];
  for (let i = 0; i < symtab.size / 24; i++) {
    const o = symtab.offset + i * 24;
    const info = buf[o + 4]!;
    symbols.push({
      index: i,
      name: cstr(buf, strtab.offset + u32(o)),
      bind: info >> 4,
      type: info & 0xf,
      shndx: u16(o + 6),
      value: u64(o + 8),
    });
  }
  const byName = new Map(sections.map((s) => [s.name, s]));
  return {
    file,
    sections,
    symbols,
    section: (name) => byName.get(name),
    relas(sec) {
      const out: LiteRela[] = [];
      for (let i = 0; i < sec.size / 24; i++) {
        const o = sec.offset + i * 24;
        const info = u64(o + 8);
        const symbol = symbols[Number(info >> 32n)];
        if (!symbol) throw new Error(`${file}: ${sec.name}: relocation ${i} has a bad symbol index`);
        out.push({ offset: u64(o), type: Number(info & 0xffffffffn), symbol, addend: i64(o + 16) });
      }
      return out;
    },
    modinfo() {
      const mi = byName.get('.modinfo');
      if (!mi) return [];
      return buf.toString('latin1', mi.offset, mi.offset + mi.size).split('\0').filter((s) => s.length > 0);
    },
  };
}

/** The relocation sections of a module with their target section's name. */
export function relaSections(elf: LiteElf): { sec: LiteSection; target: string }[] {
  return elf.sections
    .filter((s) => s.type === SHT_RELA)
    .map((sec) => ({ sec, target: elf.sections[sec.info]?.name ?? `#${sec.info}` }));
}
