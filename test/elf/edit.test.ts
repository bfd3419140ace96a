/**
 * (c) Editing: remove sections and symbols, add sections and symbols, rename
 * symbols, then writeElf and check with readelf (never with our own parser)
 * that every reference was remapped: sh_link, sh_info, st_shndx (with
 * SHN_XINDEX and .symtab_shndx), group members, SHF_LINK_ORDER links,
 * relocation symbol indices; locals come before globals and the symtab's
 * sh_info counts them; untouched section contents are unchanged; readelf
 * (also with --lint) reports nothing new.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type ElfFile,
  ElfModelError,
  ElfSymbol,
  type Relocation,
  SHF,
  SHN,
  SHT,
  STB,
  STT,
  Section,
  parseElf,
  writeElf,
} from '../../src/elf/index.js';
import { elfShape, readUint, symbolOffset } from '../support/elf-bytes.js';
import { sampleDebianModules } from '../support/debian-kernel.js';
import { ARCHES, type Arch, TOOLCHAINS, buildFixture } from '../support/fixtures.js';
import { type ReadelfView, readelfView } from '../support/readelf.js';

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'klp-elf-edit-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function writeAndView(
  out: Uint8Array,
  name: string,
): Promise<{ path: string; view: ReadelfView; lint: ReadelfView }> {
  const path = join(tmp, name);
  await writeFile(path, out);
  const [view, lint] = await Promise.all([readelfView(path), readelfView(path, { lint: true })]);
  return { path, view, lint };
}

/** readelf --lint warnings of `after` that `before` did not have. */
function newLintWarnings(before: ReadelfView, after: ReadelfView): string[] {
  const old = new Set(before.diagnostics);
  return after.diagnostics.filter((d) => !old.has(d));
}

/** The name readelf shows for a symbol in relocation listings. */
function shownName(sym: ElfSymbol): string {
  return sym.type === STT.SECTION && sym.name === '' && sym.section ? sym.section.name : sym.name;
}

interface ExpectedSymbol {
  name: string;
  bind: number;
  type: number;
  value: bigint;
  size: bigint;
  /** Section name, or a reserved st_shndx value. */
  where: string | number;
}

function describeSymbol(s: ElfSymbol): ExpectedSymbol {
  return {
    name: shownName(s),
    bind: s.bind,
    type: s.type,
    value: s.value,
    size: s.size,
    where: s.section ? s.section.name : s.special,
  };
}

const BIND_NAMES = ['LOCAL', 'GLOBAL', 'WEAK'];
const TYPE_NAMES = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE'];

function viewedSymbols(v: ReadelfView): ExpectedSymbol[] {
  return v.symbols.map((s) => ({
    name: s.name,
    bind: BIND_NAMES.indexOf(s.bindName),
    type: TYPE_NAMES.indexOf(s.typeName),
    value: s.value,
    size: s.size,
    where: s.reserved ? s.shndx : (v.sections[s.shndx]?.name ?? `bad index ${s.shndx}`),
  }));
}

/** Relocation entries of every REL/RELA section, by section name, as readelf shows them. */
function viewedRelocations(v: ReadelfView): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of v.relocations) {
    m.set(
      r.name,
      r.entries.map((e) => `${e.offset.toString(16)} ${e.type} ${e.symIndex === 0 ? '' : e.symName} ${e.addend ?? ''}`),
    );
  }
  return m;
}

function expectedRelocations(elf: ElfFile): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const s of elf.sections) {
    if (!s.relocations) continue;
    const rela = s.type === SHT.RELA;
    m.set(
      s.name,
      s.relocations.map((r) => {
        const name = r.symbol.index === 0 ? '' : shownName(r.symbol);
        return `${r.offset.toString(16)} ${r.type} ${name} ${rela ? r.addend : ''}`;
      }),
    );
  }
  return m;
}

function bytesAt(file: Uint8Array, offset: number, size: bigint): Uint8Array {
  return file.subarray(offset, offset + Number(size));
}

/**
 * Checks an edited, written file against the model it was written from, using
 * only readelf and the raw bytes: section order, names, types, flags, links
 * and infos by name, contents of sections the writer does not re-encode,
 * symbols (order, locals first, st_shndx), relocations and groups.
 */
function expectWrittenMatchesModel(
  elf: ElfFile,
  original: Uint8Array,
  out: Uint8Array,
  view: ReadelfView,
  label: string,
): void {
  const names = (i: number) => view.sections[i]?.name;
  expect(view.diagnostics, `${label}: readelf warnings`).toEqual([]);
  expect(
    view.sections.map((s) => s.name),
    `${label}: section names`,
  ).toEqual(elf.sections.map((s) => s.name));
  const reencoded = new Set<Section>();
  for (const s of elf.sections) {
    if (
      s === elf.symtab ||
      s === elf.symtab?.link ||
      s === elf.shstrtab ||
      s.relocations ||
      s.groupMembers ||
      s.type === SHT.SYMTAB_SHNDX
    )
      reencoded.add(s);
  }
  elf.sections.forEach((s, i) => {
    const r = view.sections[i]!;
    const at = `${label}: [${i}] ${s.name}`;
    expect(r.flags, `${at} flags`).toBe(s.flags);
    expect(r.entsize, `${at} entsize`).toBe(s.entsize);
    expect(r.addralign, `${at} addralign`).toBe(s.addralign);
    if (i === 0) return;
    // sh_link by name.
    if (s.link) expect(names(r.link), `${at} sh_link`).toBe(s.link.name);
    else expect(r.link, `${at} sh_link value`).toBe(s.linkValue);
    // sh_info by name (sections), by symbol (groups), by count (symtab).
    if (s.infoSection) expect(names(r.info), `${at} sh_info`).toBe(s.infoSection.name);
    else if (s.infoSymbol) expect(view.symbols[r.info]?.name, `${at} group signature`).toBe(s.infoSymbol.name);
    else if (s !== elf.symtab) expect(r.info, `${at} sh_info value`).toBe(s.infoValue);
    // Offsets respect alignment; contents of sections we did not re-encode are unchanged.
    if (s.type !== SHT.NOBITS && s.addralign > 1n)
      expect(BigInt(r.offset) % s.addralign, `${at} alignment of 0x${r.offset.toString(16)}`).toBe(0n);
    if (!reencoded.has(s) && s.type !== SHT.NOBITS) {
      expect(r.size, `${at} size`).toBe(BigInt(s.data.length));
      expect(Buffer.compare(Buffer.from(bytesAt(out, r.offset, r.size)), Buffer.from(s.data)), `${at} contents`).toBe(
        0,
      );
      if (s.orig)
        expect(
          Buffer.compare(Buffer.from(s.data), Buffer.from(bytesAt(original, s.orig.offset, BigInt(s.orig.size)))),
          `${at} contents vs input`,
        ).toBe(0);
    }
  });
  // No two sections overlap in the file.
  const spans = view.sections
    .filter((s) => s.index > 0 && s.typeName !== 'NOBITS' && s.size > 0n)
    .map((s) => ({ name: s.name, from: s.offset, to: s.offset + Number(s.size) }))
    .sort((a, b) => a.from - b.from);
  for (let k = 1; k < spans.length; k++) {
    expect(spans[k]!.from, `${label}: '${spans[k]!.name}' overlaps '${spans[k - 1]!.name}'`).toBeGreaterThanOrEqual(
      spans[k - 1]!.to,
    );
  }

  // Symbols: the model's order after the writer's locals-first pass, which is stable.
  const locals = elf.symbols.slice(1).filter((s) => s.bind === STB.LOCAL);
  const others = elf.symbols.slice(1).filter((s) => s.bind !== STB.LOCAL);
  const expectedSyms = [elf.symbols[0]!, ...locals, ...others].map(describeSymbol);
  expect(viewedSymbols(view), `${label}: symbols`).toEqual(expectedSyms);
  const symtab = view.sections.find((s) => s.typeName === 'SYMTAB')!;
  expect(symtab.info, `${label}: symtab sh_info = first non-local`).toBe(1 + locals.length);
  view.symbols.forEach((s, k) =>
    expect(s.bindName === 'LOCAL', `${label}: symbol ${k} '${s.name}' local-ness`).toBe(k < 1 + locals.length),
  );

  // Relocations, by section, with symbol names as readelf resolves the indices.
  expect(viewedRelocations(view), `${label}: relocations`).toEqual(expectedRelocations(elf));

  // Groups: members by index and by name.
  const groups = elf.sections.filter((s) => s.groupMembers);
  expect(
    view.groups.map((g) => ({ sig: g.signature, members: g.members.map((m) => m.name) })),
    `${label}: groups`,
  ).toEqual(groups.map((g) => ({ sig: g.infoSymbol!.name, members: g.groupMembers!.map((m) => m.name) })));
  for (const g of view.groups)
    for (const m of g.members) expect(view.sections[m.index]?.name, `${label}: group member index`).toBe(m.name);
}

/** Removes `doomed` sections, the symbols defined in them and every relocation against those symbols. */
function removeSectionsAndDependants(elf: ElfFile, doomed: Set<Section>): { symbols: number; relocations: number } {
  const doomedSyms = new Set(elf.symbols.filter((s) => s.section && doomed.has(s.section)));
  let relocations = 0;
  for (const s of elf.sections) {
    if (doomed.has(s)) {
      // The model refuses to drop a symbol that a relocation or group still uses,
      // even one in a section about to go: detach those first.
      if (s.relocations) s.relocations = [];
      if (s.infoSymbol && doomedSyms.has(s.infoSymbol)) s.infoSymbol = null;
      continue;
    }
    if (s.relocations) {
      const kept = s.relocations.filter((r) => !doomedSyms.has(r.symbol));
      relocations += s.relocations.length - kept.length;
      s.relocations = kept;
    }
  }
  elf.removeSymbols((s) => doomedSyms.has(s));
  elf.removeSections((s) => doomed.has(s));
  return { symbols: doomedSyms.size, relocations };
}

function relocSectionName(arch: Arch, base: string): string {
  return `${TOOLCHAINS[arch].relocSection === 'rela' ? '.rela' : '.rel'}${base}`;
}

describe.each(ARCHES)('editing, %s', (arch) => {
  test('remove, add, rename, then readelf shows every reference remapped', async () => {
    const path = await buildFixture('livepatch', arch);
    const original = new Uint8Array(await readFile(path));
    const before = await readelfView(path, { lint: true });
    const elf = parseElf(original, path);
    const byName = elf.sectionsByName();
    const get = (n: string): Section => {
      const s = byName.get(n);
      if (!s) throw new Error(`${arch}: fixture has no '${n}'`);
      return s;
    };

    // 1. Remove .init.text with everything hanging off it (its relocations,
    //    the SHF_LINK_ORDER section linked to it and that one's relocations),
    //    the non-COMDAT group with its members, and two plain sections.
    const initText = get('.init.text');
    const lpGroup = elf.sections.find((s) => s.type === SHT.GROUP && s.infoSymbol?.name === 'lp_group_sig')!;
    const doomed = new Set<Section>([
      initText,
      get('__lp_patchable_entries'),
      lpGroup,
      ...lpGroup.groupMembers!,
      get('.comment'),
    ]);
    // gcc emits no .note.GNU-stack for ppc64 ELFv1.
    const noteStack = byName.get('.note.GNU-stack');
    if (noteStack) doomed.add(noteStack);
    for (const s of [...doomed]) for (const r of elf.relocationSectionsFor(s)) doomed.add(r);
    const removed = removeSectionsAndDependants(elf, doomed);
    expect(removed.symbols).toBeGreaterThan(2);

    // 2. Remove every STT_FILE symbol: shifts all later symbol indices.
    elf.removeSymbols((s) => s.type === STT.FILE);

    // 3. A klp-style conversion: move the .data relocations against
    //    saved_command_line to a new .klp.rela.vmlinux..data section and turn
    //    the symbol into an SHN_LIVEPATCH .klp.sym symbol.
    const data = get('.data');
    const dataRel = get(relocSectionName(arch, '.data'));
    const scl = elf.symbols.find((s) => s.name === 'saved_command_line')!;
    const moved: Relocation[] = dataRel.relocations!.filter((r) => r.symbol === scl);
    expect(moved.length).toBeGreaterThan(0);
    dataRel.relocations = dataRel.relocations!.filter((r) => r.symbol !== scl);
    const isRela = TOOLCHAINS[arch].relocSection === 'rela';
    const klp = new Section({
      name: '.klp.rela.vmlinux..data',
      type: isRela ? SHT.RELA : SHT.REL,
      flags: SHF.ALLOC | SHF.INFO_LINK | SHF.RELA_LIVEPATCH,
      addralign: elf.is64 ? 8n : 4n,
      entsize: BigInt(isRela ? elf.layout.relaSize : elf.layout.relSize),
    });
    klp.link = elf.symtab;
    klp.infoSection = data;
    klp.relocations = moved;
    elf.addSection(klp);
    scl.name = '.klp.sym.vmlinux.saved_command_line,0';
    scl.special = SHN.LIVEPATCH;

    // 4. Rename a local (longer name: the string table grows).
    const helper = elf.symbols.find((s) => s.name === 'lp_helper')!;
    helper.name = 'lp_helper.renamed.for.the.test';

    // 5. New symbols: a local appended after the globals (the writer must
    //    move it before them) and a global in .bss.
    elf.symbols.push(
      new ElfSymbol({ name: 'lp_new_local', bind: STB.LOCAL, type: STT.OBJECT, value: 8n, size: 4n, section: data }),
    );
    elf.symbols.push(
      new ElfSymbol({ name: 'lp_new_global', bind: STB.GLOBAL, type: STT.NOTYPE, section: get('.bss') }),
    );
    elf.renumber();

    // 6. A new SHF_LINK_ORDER section linked to .text.
    const lo = new Section({
      name: '.lp_new_link_order',
      type: SHT.PROGBITS,
      flags: SHF.ALLOC | SHF.LINK_ORDER,
      addralign: 4n,
      data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
    });
    lo.link = get('.text');
    elf.addSection(lo);

    const out = writeElf(elf);
    const { view, lint } = await writeAndView(out, `${arch}-edited.ko`);
    expectWrittenMatchesModel(elf, original, out, view, `${arch} edited`);
    expect(newLintWarnings(before, lint), `${arch}: new readelf --lint warnings`).toEqual([]);

    // Spot checks in readelf's own terms.
    const sec = (n: string) => view.sections.find((s) => s.name === n)!;
    expect(view.sections.some((s) => s.name === '.init.text')).toBe(false);
    expect(sec('.klp.rela.vmlinux..data').flags).toBe(0x100042n);
    expect(view.sections[sec('.klp.rela.vmlinux..data').info]!.name).toBe('.data');
    expect(view.sections[sec('.klp.rela.vmlinux..data').link]!.name).toBe('.symtab');
    expect(view.sections[sec('.lp_link_order').link]!.name).toBe('.text');
    expect(view.sections[sec('.lp_new_link_order').link]!.name).toBe('.text');
    const klpSym = view.symbols.find((s) => s.name === '.klp.sym.vmlinux.saved_command_line,0')!;
    expect(klpSym.shndx).toBe(0xff20);
    expect(
      view.relocations
        .find((r) => r.name === '.klp.rela.vmlinux..data')!
        .entries.every((e) => e.symIndex === klpSym.index),
    ).toBe(true);
    expect(view.symbols.some((s) => s.typeName === 'FILE')).toBe(false);
    expect(view.groups.map((g) => g.signature)).toEqual(['lp_comdat_sig']);

    // The written file parses back to the same model shape, and rewriting it is a no-op.
    const again = parseElf(out, `${arch}-edited.ko`);
    expect(again.sections.map((s) => s.name)).toEqual(elf.sections.map((s) => s.name));
    expect(Buffer.compare(Buffer.from(writeElf(again)), Buffer.from(out))).toBe(0);
  });

  test('removing sections without their dependants is refused with ElfModelError', async () => {
    const path = await buildFixture('livepatch', arch);
    const elf = parseElf(new Uint8Array(await readFile(path)), path);
    const byName = elf.sectionsByName();
    // A relocation section still targets .text; symbols are defined in it.
    expect(() => elf.removeSections((s) => s === byName.get('.text'))).toThrow(ElfModelError);
    // __lp_patchable_entries still links (SHF_LINK_ORDER) to .init.text.
    const initText = byName.get('.init.text')!;
    expect(() =>
      elf.removeSections((s) => s === initText || (s.isRelocation && s.infoSection === initText)),
    ).toThrow(ElfModelError);
    // A group member cannot go alone.
    expect(() => elf.removeSections((s) => s.name === '.data.lp_comdat')).toThrow(ElfModelError);
    // A symbol used by relocations cannot go; the refusal names the file.
    expect(() => elf.removeSymbols((s) => s.name === 'saved_command_line')).toThrow(ElfModelError);
    expect(() => elf.removeSymbols((s) => s.name === 'saved_command_line')).toThrow(`${path}: section '`);
    // The symbol and section name tables cannot go.
    expect(() => elf.removeSections((s) => s === elf.symtab)).toThrow(ElfModelError);
    // Nothing was changed by the refused edits.
    expect(Buffer.compare(Buffer.from(writeElf(elf)), Buffer.from(await readFile(path)))).toBe(0);
  });
});

/** The symbols defined in the `doomed` sections (section symbols, in the xindex fixture). */
function sectionSymbols(elf: ElfFile, doomed: Set<Section>): Set<ElfSymbol> {
  return new Set(elf.symbols.filter((y) => y.section && doomed.has(y.section)));
}

describe.each(['x86_64', 'ppc32'] as const)('editing with SHN_XINDEX, %s', (arch) => {
  test('removing 10 low sections keeps far symbols behind SHN_XINDEX, remapped', async () => {
    const path = await buildFixture('xindex', arch);
    const original = new Uint8Array(await readFile(path));
    const elf = parseElf(original, path);
    const doomed = new Set(elf.sections.filter((s) => /^\.lx[0-9]$/.test(s.name)));
    expect(doomed.size).toBe(10);
    const far = elf.symbols.find((s) => s.name === 'lp_far_sym')!;
    const farSection = far.section!.name;
    const doomedSyms = sectionSymbols(elf, doomed);
    elf.removeSymbols((s) => doomedSyms.has(s));
    elf.removeSections((s) => doomed.has(s));
    const out = writeElf(elf);
    const { view } = await writeAndView(out, `${arch}-xindex-minus10.ko`);
    expect(view.diagnostics).toEqual([]);
    expect(view.header.shnumRaw).toBe(0);
    expect(view.header.shnum).toBe(elf.sections.length);
    expect(view.header.shstrndxRaw).toBe(0xffff);
    expect(view.sections[view.header.shstrndx]!.name).toBe('.shstrtab');
    const sym = view.symbols.find((s) => s.name === 'lp_far_sym')!;
    expect(sym.shndx).toBe(far.section!.index);
    expect(sym.shndx).toBeGreaterThanOrEqual(SHN.LORESERVE);
    expect(view.sections[sym.shndx]!.name).toBe(farSection);
    const shape = elfShape(out);
    expect(
      Number(readUint(out, symbolOffset(shape, sym.index) + shape.stField.shndx, 2, shape.le)),
      'raw st_shndx',
    ).toBe(SHN.XINDEX);
    expect(viewedSymbols(view).filter((s) => s.name.startsWith('lp_far'))).toEqual(
      elf.symbols.filter((s) => s.name.startsWith('lp_far')).map(describeSymbol),
    );
    expect(viewedRelocations(view)).toEqual(expectedRelocations(elf));
  });

  test('removing enough sections to drop below SHN_LORESERVE drops the escapes', async () => {
    const path = await buildFixture('xindex', arch);
    const elf = parseElf(new Uint8Array(await readFile(path)), path);
    const doomed = new Set(elf.sections.filter((s) => /^\.lx[0-9]+$/.test(s.name) && Number(s.name.slice(3)) < 1000));
    const doomedSyms = sectionSymbols(elf, doomed);
    elf.removeSymbols((s) => doomedSyms.has(s));
    elf.removeSections((s) => doomed.has(s));
    expect(elf.sections.length).toBeLessThan(SHN.LORESERVE);
    const out = writeElf(elf);
    const { view } = await writeAndView(out, `${arch}-xindex-small.ko`);
    expect(view.diagnostics).toEqual([]);
    expect(view.header.shnumRaw).toBe(elf.sections.length);
    expect(view.header.shstrndxRaw).toBe(elf.shstrtab!.index);
    const sym = view.symbols.find((s) => s.name === 'lp_far_sym')!;
    expect(view.sections[sym.shndx]!.name).toBe('.lx65299');
    const shape = elfShape(out);
    expect(
      Number(readUint(out, symbolOffset(shape, sym.index) + shape.stField.shndx, 2, shape.le)),
      'raw st_shndx',
    ).toBe(sym.shndx);
  });
});

describe.each(['i386', 'ppc64'] as const)('growing past SHN_LORESERVE, %s', (arch) => {
  test('adding 65,300 sections creates .symtab_shndx and the header escapes', async () => {
    const path = await buildFixture('livepatch', arch);
    const original = new Uint8Array(await readFile(path));
    const elf = parseElf(original, path);
    let last: Section | undefined;
    for (let i = 0; i < 65_300; i++) {
      last = elf.addSection(
        new Section({ name: `.grow${i}`, type: SHT.PROGBITS, flags: SHF.ALLOC, data: new Uint8Array([i & 0xff]) }),
      );
    }
    const sym = new ElfSymbol({ name: 'lp_grown_far', bind: STB.GLOBAL, type: STT.OBJECT, size: 1n, section: last! });
    elf.symbols.push(sym);
    elf.renumber();
    const out = writeElf(elf);
    const { view } = await writeAndView(out, `${arch}-grown.ko`);
    expect(view.diagnostics).toEqual([]);
    expect(view.header.shnumRaw).toBe(0);
    // The writer adds .symtab_shndx to the file it writes, not to the model.
    expect(view.header.shnum).toBe(elf.sections.length + 1);
    expect(view.sections.some((s) => s.typeName === 'SYMTAB SECTION INDICES')).toBe(true);
    const shndxSec = view.sections.find((s) => s.typeName === 'SYMTAB SECTION INDICES')!;
    expect(view.sections[shndxSec.link]!.name).toBe('.symtab');
    const r = view.symbols.find((s) => s.name === 'lp_grown_far')!;
    expect(view.sections[r.shndx]!.name).toBe('.grow65299');
    // Every original symbol still points at the same section name.
    const orig = parseElf(original, path);
    const origWhere = orig.symbols.map(describeSymbol);
    expect(viewedSymbols(view).slice(0, origWhere.length)).toEqual(origWhere);
    expect(viewedRelocations(view)).toEqual(expectedRelocations(elf));
  });
});

describe('editing Debian modules', () => {
  test('a klp-style edit of 6 real modules, checked with readelf', async () => {
    const modules = (await sampleDebianModules(60, 1)).filter((_, i) => i % 10 === 0);
    expect(modules.length).toBe(6);
    let converted = 0;
    for (const path of modules) {
      const original = new Uint8Array(await readFile(path));
      const before = await readelfView(path, { lint: true });
      const elf = parseElf(original, path);
      const byName = elf.sectionsByName();
      const doomed = new Set<Section>();
      for (const n of ['.comment', '.note.GNU-stack']) {
        const sec = byName.get(n);
        if (sec) doomed.add(sec);
      }
      removeSectionsAndDependants(elf, doomed);
      // Move the relocations against the first undefined symbol used from .text.
      const text = byName.get('.text');
      const rela = text && elf.relocationSectionsFor(text)[0];
      const target = rela?.relocations?.find(
        (r) => r.symbol.isUndefined && r.symbol.name !== '__fentry__' && r.symbol.name !== '__x86_return_thunk',
      )?.symbol;
      if (rela && text && target) {
        const moved = rela.relocations!.filter((r) => r.symbol === target);
        rela.relocations = rela.relocations!.filter((r) => r.symbol !== target);
        const klp = new Section({
          name: '.klp.rela.vmlinux..text',
          type: SHT.RELA,
          flags: SHF.ALLOC | SHF.INFO_LINK | SHF.RELA_LIVEPATCH,
          addralign: 8n,
          entsize: 24n,
        });
        klp.link = elf.symtab;
        klp.infoSection = text;
        klp.relocations = moved;
        elf.addSection(klp);
        target.name = `.klp.sym.vmlinux.${target.name},0`;
        target.special = SHN.LIVEPATCH;
        converted++;
      }
      elf.symbols.push(
        new ElfSymbol({ name: 'klpt_added_local', bind: STB.LOCAL, type: STT.NOTYPE, section: text ?? null }),
      );
      elf.renumber();
      const out = writeElf(elf);
      const name = path.split('/').pop()!;
      const { view, lint } = await writeAndView(out, `debian-${name}`);
      expectWrittenMatchesModel(elf, original, out, view, name);
      expect(newLintWarnings(before, lint), `${name}: new readelf --lint warnings`).toEqual([]);
    }
    expect(converted, 'modules that got a .klp.rela section').toBeGreaterThanOrEqual(4);
  });
});

describe('read-only parse', () => {
  test('skips relocation decoding and refuses to write', async () => {
    const { parseElf: parse, writeElf: write, ElfModelError: ModelError } = await import('../../src/elf/index.js');
    const { buildFixture: build } = await import('../support/fixtures.js');
    const { readFileSync: read } = await import('node:fs');
    const ko = await build('livepatch', 'x86_64');
    const full = parse(read(ko), ko);
    const lite = parse(read(ko), ko, { relocations: false });
    expect(lite.symbols.map((s) => s.name)).toEqual(full.symbols.map((s) => s.name));
    expect(lite.sections.every((s) => s.relocations === null)).toBe(true);
    expect(full.sections.some((s) => s.relocations !== null)).toBe(true);
    expect(() => write(lite)).toThrow(ModelError);
  });
});
