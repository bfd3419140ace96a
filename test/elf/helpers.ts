/**
 * Shared helpers for the ELF-layer tests: fixture loading, byte comparison
 * with a useful message, and the comparison of our parsed model against the
 * readelf oracle.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { type ElfFile, type Section, SHT, STB, STT } from '../../src/elf/index.js';
import { ARCHES, type Arch, type BuiltFixture, buildAllFixtures } from '../support/fixtures.js';
import type { ReadelfView, ReSection } from '../support/readelf.js';

export { ARCHES, type Arch };

/** Builds (or takes from the cache) every fixture of every arch once per test file. */
let all: Promise<BuiltFixture[]> | undefined;
export function allFixtures(): Promise<BuiltFixture[]> {
  all ??= buildAllFixtures();
  return all;
}

export async function fixtureBytes(f: BuiltFixture): Promise<Uint8Array> {
  return new Uint8Array(await readFile(f.path));
}

/** Describes the first difference between two byte arrays, or returns null when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): string | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      const hex = (x: Uint8Array) => Buffer.from(x.subarray(i, Math.min(i + 16, x.length))).toString('hex');
      return (
        `first difference at offset 0x${i.toString(16)}: expected ${hex(a)}..., got ${hex(b)}... ` +
        `(lengths ${a.length} / ${b.length})`
      );
    }
  }
  if (a.length !== b.length) return `lengths differ: expected ${a.length}, got ${b.length} (common prefix equal)`;
  return null;
}

export function expectSameBytes(expected: Uint8Array, actual: Uint8Array, what: string): void {
  const d = firstDifference(expected, actual);
  expect(d, `${what}: ${d}`).toBeNull();
}

/** readelf's names for section types (generic ones; arch-specific types are checked by number elsewhere). */
export const READELF_SECTION_TYPE: ReadonlyMap<number, string> = new Map([
  [SHT.NULL, 'NULL'],
  [SHT.PROGBITS, 'PROGBITS'],
  [SHT.SYMTAB, 'SYMTAB'],
  [SHT.STRTAB, 'STRTAB'],
  [SHT.RELA, 'RELA'],
  [SHT.HASH, 'HASH'],
  [SHT.DYNAMIC, 'DYNAMIC'],
  [SHT.NOTE, 'NOTE'],
  [SHT.NOBITS, 'NOBITS'],
  [SHT.REL, 'REL'],
  [SHT.DYNSYM, 'DYNSYM'],
  [SHT.INIT_ARRAY, 'INIT_ARRAY'],
  [SHT.FINI_ARRAY, 'FINI_ARRAY'],
  [SHT.PREINIT_ARRAY, 'PREINIT_ARRAY'],
  [SHT.GROUP, 'GROUP'],
  [SHT.SYMTAB_SHNDX, 'SYMTAB SECTION INDICES'],
]);

export const READELF_BIND: ReadonlyMap<number, string> = new Map([
  [STB.LOCAL, 'LOCAL'],
  [STB.GLOBAL, 'GLOBAL'],
  [STB.WEAK, 'WEAK'],
  [STB.GNU_UNIQUE, 'UNIQUE'],
]);

export const READELF_SYMTYPE: ReadonlyMap<number, string> = new Map([
  [STT.NOTYPE, 'NOTYPE'],
  [STT.OBJECT, 'OBJECT'],
  [STT.FUNC, 'FUNC'],
  [STT.SECTION, 'SECTION'],
  [STT.FILE, 'FILE'],
  [STT.COMMON, 'COMMON'],
  [STT.TLS, 'TLS'],
  [STT.GNU_IFUNC, 'IFUNC'],
]);

export const READELF_VISIBILITY = ['DEFAULT', 'INTERNAL', 'HIDDEN', 'PROTECTED'] as const;

export const READELF_MACHINE: ReadonlyMap<number, string> = new Map([
  [3, 'Intel 80386'],
  [20, 'PowerPC'],
  [21, 'PowerPC64'],
  [22, 'IBM S/390'],
  [62, 'Advanced Micro Devices X86-64'],
  [183, 'AArch64'],
]);

/** sh_link as the model will write it. */
export function linkOf(s: Section): number {
  return s.link ? s.link.index : s.linkValue;
}

/** sh_info as the model holds it (the symtab's is recomputed by the writer; use the input's). */
export function infoOf(elf: ElfFile, s: Section): number {
  if (s.infoSection) return s.infoSection.index;
  if (s.infoSymbol) return s.infoSymbol.index;
  return s.infoValue;
}

/** sh_size as the model holds it. */
export function sizeOf(s: Section): bigint {
  return s.type === SHT.NOBITS || s.index === 0 ? s.nobitsSize : BigInt(s.data.length);
}

export interface OracleStats {
  sections: number;
  symbols: number;
  relocations: number;
  groups: number;
  /** Section types readelf names that we did not check by name. */
  uncheckedTypes: number;
}

/**
 * Asserts that the parsed model says what readelf says about the same file:
 * header, every section header, every symbol, every relocation, every group.
 * `label` prefixes every assertion message.
 */
export function expectMatchesReadelf(
  elf: ElfFile,
  view: ReadelfView,
  label: string,
  opts: { requireKnownTypes?: boolean } = {},
): OracleStats {
  const stats: OracleStats = { sections: 0, symbols: 0, relocations: 0, groups: 0, uncheckedTypes: 0 };
  // Plain comparisons, one expect() at the end: the xindex fixtures have 65k sections.
  const failures: string[] = [];
  const fail = (msg: string): void => {
    failures.push(msg);
  };
  const eq = (actual: unknown, expected: unknown, msg: string): void => {
    if (actual !== expected) fail(`${msg}: ours ${String(actual)}, readelf ${String(expected)}`);
  };
  const eqJson = (actual: unknown, expected: unknown, msg: string): void => {
    const a = JSON.stringify(actual);
    const b = JSON.stringify(expected);
    if (a !== b) fail(`${msg}: ours ${a}, readelf ${b}`);
  };
  const h = elf.header;
  const re = view.header;
  eqJson([...h.ident], re.ident, `${label}: e_ident`);
  eq(elf.is64 ? 64 : 32, re.elfClass, `${label}: class`);
  eq(elf.littleEndian, re.littleEndian, `${label}: data`);
  eq(h.type === 1, re.type.startsWith('REL '), `${label}: e_type REL`);
  const machine = READELF_MACHINE.get(h.machine);
  if (machine) eq(re.machine, machine, `${label}: e_machine`);
  eq(h.version, re.version, `${label}: e_version`);
  eq(h.flags, re.flags, `${label}: e_flags`);
  eq(h.entry, re.entry, `${label}: e_entry`);
  eq(h.shoff, re.shoff, `${label}: e_shoff`);
  eq(h.ehsize, re.ehsize, `${label}: e_ehsize`);
  eq(h.shentsize, re.shentsize, `${label}: e_shentsize`);
  eq(h.shnum, re.shnumRaw, `${label}: e_shnum as stored`);
  eq(h.shstrndx, re.shstrndxRaw, `${label}: e_shstrndx as stored`);
  eq(elf.sections.length, re.shnum, `${label}: section count`);
  eq(elf.shstrtab?.index ?? 0, re.shstrndx, `${label}: section name table index`);

  // Sections.
  elf.sections.forEach((s, i) => {
    const r: ReSection | undefined = view.sections[i];
    const at = `${label}: section [${i}] '${s.name}'`;
    if (!r) {
      fail(`${at}: readelf shows no such section`);
      return;
    }
    eq(s.index, i, `${at} index`);
    eq(s.name, r.name, `${at} name`);
    const tn = READELF_SECTION_TYPE.get(s.type);
    if (tn) eq(r.typeName, tn, `${at} type`);
    else {
      stats.uncheckedTypes++;
      if (opts.requireKnownTypes)
        fail(`${at}: section type 0x${s.type.toString(16)} (${r.typeName}) not in READELF_SECTION_TYPE`);
    }
    eq(s.flags, r.flags, `${at} flags`);
    eq(s.addr, r.addr, `${at} addr`);
    if (i > 0) eq(s.orig?.offset, r.offset, `${at} offset`);
    eq(sizeOf(s), r.size, `${at} size`);
    eq(s.entsize, r.entsize, `${at} entsize`);
    eq(s.addralign, r.addralign, `${at} addralign`);
    eq(linkOf(s), r.link, `${at} sh_link`);
    if (s !== elf.symtab) eq(infoOf(elf, s), r.info, `${at} sh_info`);
    else eq(s.infoValue, r.info, `${at} sh_info (first global)`);
    stats.sections++;
  });

  // Symbols (.symtab; readelf resolves SHN_XINDEX through .symtab_shndx itself).
  eq(elf.symbols.length, view.symbols.length, `${label}: symbol count`);
  elf.symbols.forEach((sym, k) => {
    const r = view.symbols[k];
    const at = `${label}: symbol ${k} '${sym.name}'`;
    if (!r) return;
    eq(sym.index, k, `${at} index`);
    eq(sym.value, r.value, `${at} st_value`);
    eq(sym.size, r.size, `${at} st_size`);
    const bn = READELF_BIND.get(sym.bind);
    if (bn) eq(r.bindName, bn, `${at} bind`);
    const tn = READELF_SYMTYPE.get(sym.type);
    if (tn) eq(r.typeName, tn, `${at} type`);
    eq(r.visibility, READELF_VISIBILITY[sym.other & 3], `${at} visibility`);
    eq(r.otherNote !== null, (sym.other & ~3) !== 0, `${at} extra st_other bits`);
    eq(sym.shndx, r.shndx, `${at} st_shndx`);
    eq(sym.section?.index ?? sym.special, r.shndx, `${at} section`);
    if (sym.type === STT.SECTION && sym.name === '' && sym.section) {
      // readelf shows the section's name for an unnamed section symbol.
      eq(r.name, sym.section.name, `${at} (section symbol) name`);
    } else {
      eq(sym.name, r.name, `${at} name`);
    }
    stats.symbols++;
  });

  // Relocations: readelf lists every REL/RELA section in index order.
  const relSecs = elf.sections.filter((s) => s.type === SHT.REL || s.type === SHT.RELA);
  eqJson(
    relSecs.map((s) => s.name),
    view.relocations.map((r) => r.name),
    `${label}: relocation sections`,
  );
  relSecs.forEach((s, j) => {
    const r = view.relocations[j];
    const at = `${label}: '${s.name}'`;
    if (!r) return;
    eq(s.orig?.offset, r.fileOffset, `${at} offset`);
    if (s.relocations === null) fail(`${at}: relocations not parsed`);
    const rel = s.relocations ?? [];
    eq(rel.length, r.entries.length, `${at} count`);
    rel.forEach((x, k) => {
      const e = r.entries[k];
      const eat = `${at}[${k}]`;
      if (!e) return;
      eq(x.offset, e.offset, `${eat} r_offset`);
      eq(x.type, e.type, `${eat} type (${e.typeName})`);
      eq(x.symbol.index, e.symIndex, `${eat} symbol index (${e.symName})`);
      if (s.type === SHT.RELA) eq(x.addend, e.addend, `${eat} r_addend`);
      else if (e.addend !== null) fail(`${eat}: readelf shows an addend for REL`);
      if (e.symIndex !== 0) {
        const expectedName =
          x.symbol.type === STT.SECTION && x.symbol.name === '' && x.symbol.section
            ? x.symbol.section.name
            : x.symbol.name;
        eq(expectedName, e.symName, `${eat} symbol name`);
      }
      stats.relocations++;
    });
  });

  // Groups.
  const groups = elf.sections.filter((s) => s.type === SHT.GROUP);
  eq(groups.length, view.groups.length, `${label}: group count`);
  groups.forEach((g, j) => {
    const r = view.groups[j];
    const at = `${label}: group [${g.index}] '${g.name}'`;
    if (!r) return;
    eq(g.index, r.index, `${at} index`);
    eq((g.groupFlags & 1) !== 0, r.comdat, `${at} GRP_COMDAT`);
    const sig = g.infoSymbol;
    const sigName = sig && sig.type === STT.SECTION && sig.name === '' && sig.section ? sig.section.name : sig?.name;
    eq(sigName, r.signature, `${at} signature`);
    eqJson(
      g.groupMembers?.map((m) => m.index),
      r.members.map((m) => m.index),
      `${at} members`,
    );
    eqJson(
      g.groupMembers?.map((m) => m.name),
      r.members.map((m) => m.name),
      `${at} member names`,
    );
    stats.groups++;
  });
  expect(failures.slice(0, 30), `${label}: ${failures.length} differences from readelf`).toEqual([]);
  return stats;
}
