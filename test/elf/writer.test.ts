/**
 * The writer only writes: finalizeLayout decides the file without touching
 * the model, emitLayout writes exactly that layout and refuses one whose
 * pieces do not fill the length it reserved, and dangling references are
 * refused by the one check model.ts keeps for them.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import {
  type ElfFile, ElfModelError, ElfSymbol, SHF, SHT, STB, STT, Section, parseElf, writeElf,
} from '../../src/elf/index.js';
import { ElfWriterBug, emitLayout } from '../../src/elf/emit.js';
import { KlpError } from '../../src/util/errors.js';
import { EXIT } from '../../src/util/exit-codes.js';
import type { FileLayout, PlacedSection } from '../../src/elf/file-layout.js';
import { finalizeLayout } from '../../src/elf/finalize.js';
import { ARCHES, type Arch, buildFixture } from '../support/fixtures.js';
import { expectSameBytes } from './helpers.js';

async function parsedFixture(name: string, arch: Arch): Promise<ElfFile> {
  const path = await buildFixture(name, arch);
  return parseElf(new Uint8Array(await readFile(path)), path);
}

/**
 * Edits the old writer answered by changing the model: a local after the
 * globals (it reordered the symbol list), and new entries pushed without
 * renumbering (it renumbered them).
 */
function editTheWriterUsedToFixUp(elf: ElfFile): void {
  const text = elf.sections.find((s) => s.name === '.text')!;
  elf.symbols.push(new ElfSymbol({ name: 'writer_test_local', bind: STB.LOCAL, type: STT.NOTYPE, section: text }));
  elf.symbols.push(new ElfSymbol({ name: 'writer_test_global', bind: STB.GLOBAL, type: STT.OBJECT, section: text }));
  const data = new Uint8Array([1, 2, 3]);
  elf.sections.push(new Section({ name: '.writer.test', type: SHT.PROGBITS, flags: SHF.ALLOC, data }));
}

/** Everything observable about a model: a structured clone to compare deeply, and the identity of its entries. */
function snapshot(elf: ElfFile): { clone: unknown; sections: Section[]; symbols: ElfSymbol[] } {
  return { clone: structuredClone(elf), sections: [...elf.sections], symbols: [...elf.symbols] };
}

function expectUnchanged(elf: ElfFile, before: ReturnType<typeof snapshot>, what: string): void {
  expect(structuredClone(elf), `${what}: the model, deeply`).toEqual(before.clone);
  expect(elf.sections.length, `${what}: section count`).toBe(before.sections.length);
  expect(elf.symbols.length, `${what}: symbol count`).toBe(before.symbols.length);
  elf.sections.forEach((s, i) => expect(s, `${what}: section ${i} is the same object`).toBe(before.sections[i]));
  elf.symbols.forEach((s, i) => expect(s, `${what}: symbol ${i} is the same object`).toBe(before.symbols[i]));
}

describe.each(ARCHES)('writing leaves the model alone, %s', (arch) => {
  test('an edited model is deep-equal before and after writing, and writes the same bytes twice', async () => {
    const elf = await parsedFixture('livepatch', arch);
    editTheWriterUsedToFixUp(elf);
    const before = snapshot(elf);
    const first = writeElf(elf);
    expectUnchanged(elf, before, arch);
    expectSameBytes(first, writeElf(elf), `${arch}: second write`);

    // What was written has the locals first, though the model does not.
    const written = parseElf(first, `${arch} (written)`);
    const names = written.symbols.map((s) => s.name);
    const firstGlobal = written.symbols.findIndex((s, i) => i > 0 && s.bind !== STB.LOCAL);
    expect(names.indexOf('writer_test_local')).toBeGreaterThan(0);
    expect(names.indexOf('writer_test_local')).toBeLessThan(firstGlobal);
    expect(elf.symbols.at(-2)!.name).toBe('writer_test_local');
    expect(written.sections.at(-1)!.name).toBe('.writer.test');
  });
});

describe('a file that reaches SHN_LORESERVE sections', () => {
  test('gets .symtab_shndx in the layout only, and its bytes are stable', async () => {
    const elf = await parsedFixture('livepatch', 'x86_64');
    let last: Section | undefined;
    for (let i = 0; i < 65_300; i++) {
      const data = new Uint8Array([i & 0xff]);
      last = elf.addSection(new Section({ name: `.grow${i}`, type: SHT.PROGBITS, flags: SHF.ALLOC, data }));
    }
    elf.symbols.push(new ElfSymbol({ name: 'far', bind: STB.GLOBAL, type: STT.OBJECT, size: 1n, section: last! }));
    const sections = [...elf.sections];
    const symbols = [...elf.symbols];

    const layout = finalizeLayout(elf);
    expect(layout.sections.length).toBe(elf.sections.length + 1);
    expect(layout.sections.at(-1)!.header.type).toBe(SHT.SYMTAB_SHNDX);
    expect(elf.sections).toEqual(sections);
    expect(elf.sections.some((s) => s.type === SHT.SYMTAB_SHNDX)).toBe(false);
    expect(elf.symbols).toEqual(symbols);
    expect(elf.symbols.at(-1)!.index, 'an index the caller never set stays unset').toBe(-1);

    const out = emitLayout(layout);
    expect(out.length).toBe(layout.size);
    expectSameBytes(out, writeElf(elf), 'second write');
    const again = parseElf(out, 'grown');
    expect(again.sections.some((s) => s.type === SHT.SYMTAB_SHNDX && s.link === again.symtab)).toBe(true);
    expect(again.symbols.find((s) => s.name === 'far')!.section!.name).toBe('.grow65299');
  });
});

describe('emit writes exactly the length the layout reserved', () => {
  /** The layout with section `index`'s header changed by `edit`. */
  function withHeader(layout: FileLayout, index: number, edit: (h: PlacedSection['header']) => object): FileLayout {
    const edited = (s: PlacedSection): PlacedSection => ({ ...s, header: { ...s.header, ...edit(s.header) } });
    const sections = layout.sections.map((s, i) => (i === index ? edited(s) : s));
    return { ...layout, sections };
  }

  async function layoutOf(arch: Arch): Promise<{ layout: FileLayout; symtab: number }> {
    const elf = await parsedFixture('livepatch', arch);
    return { layout: finalizeLayout(elf), symtab: elf.symtab!.index };
  }

  test('a finalized layout emits to its reserved size, and the unedited layout reproduces the input', async () => {
    const path = await buildFixture('livepatch', 'ppc32');
    const input = new Uint8Array(await readFile(path));
    const layout = finalizeLayout(parseElf(input, path));
    expect(Object.isFrozen(layout) && Object.isFrozen(layout.sections)).toBe(true);
    const out = emitLayout(layout);
    expect(out.length).toBe(layout.size);
    expectSameBytes(input, out, 'ppc32 livepatch');
  });

  test('contents longer than sh_size are an internal error, not a silent overwrite', async () => {
    const { layout, symtab } = await layoutOf('x86_64');
    const short = withHeader(layout, symtab, (h) => ({ size: h.size - 1n }));
    expect(() => emitLayout(short)).toThrow(ElfWriterBug);
    expect(() => emitLayout(short)).toThrow(/section \[\d+\]: contents overflow the 0x[0-9a-f]+ bytes of sh_size/);
    // Carries exit status 4 (internal) to whichever CLI or library caller meets it.
    const bug = (() => {
      try {
        emitLayout(short);
      } catch (e) {
        return e;
      }
    })();
    expect(bug).toBeInstanceOf(KlpError);
    expect((bug as KlpError).exitCode).toBe(EXIT.INTERNAL);
  });

  test('contents shorter than sh_size are an internal error', async () => {
    const { layout, symtab } = await layoutOf('aarch64');
    const long = withHeader(layout, symtab, (h) => ({ size: h.size + 24n }));
    expect(() => emitLayout(long)).toThrow(/section \[\d+\]: wrote 0x[0-9a-f]+ bytes of contents, sh_size is 0x/);
  });

  test('an ELF image longer than its pieces is an internal error', async () => {
    const { layout } = await layoutOf('s390x');
    const padded = { ...layout, size: layout.size + 8, imageSize: layout.imageSize + 8 };
    expect(() => emitLayout(padded)).toThrow(ElfWriterBug);
    expect(() => emitLayout(padded)).toThrow(/the ELF image ends at 0x[0-9a-f]+, but the layout reserved 0x/);
  });

  test('a file longer than its image and trailer is an internal error', async () => {
    const { layout } = await layoutOf('ppc64le');
    const padded = { ...layout, size: layout.size + 8 };
    expect(() => emitLayout(padded)).toThrow(/wrote 0x[0-9a-f]+ bytes where the layout reserved 0x[0-9a-f]+/);
  });

  test('a piece placed past the reserved length is an internal error', async () => {
    const { layout, symtab } = await layoutOf('ppc64');
    const outside = withHeader(layout, symtab, () => ({ offset: BigInt(layout.size) }));
    expect(() => emitLayout(outside)).toThrow(/section \[\d+\] \(0x[0-9a-f]+ bytes at 0x[0-9a-f]+\) lies outside/);
  });
});

describe('dangling references: one check, in model.ts, for remove() and the writer', () => {
  test('a section linking to a section not in the file is refused by name', async () => {
    const elf = await parsedFixture('livepatch', 'x86_64');
    const orphan = new Section({ name: '.not.added', type: SHT.PROGBITS });
    const lo = new Section({ name: '.lo', type: SHT.PROGBITS, flags: SHF.LINK_ORDER });
    lo.link = orphan;
    elf.addSection(lo);
    expect(() => writeElf(elf)).toThrow(ElfModelError);
    const refused = /section '\.lo' still refers to something missing: its sh_link to '\.not\.added'/;
    expect(() => writeElf(elf)).toThrow(refused);
  });

  test('a relocation against a symbol not in the symbol table is refused', async () => {
    const elf = await parsedFixture('livepatch', 'ppc64le');
    const rela = elf.sections.find((s) => s.relocations && s.relocations.length > 0)!;
    const ghost = new ElfSymbol({ name: 'ghost', bind: STB.GLOBAL, type: STT.NOTYPE });
    rela.relocations![0] = { ...rela.relocations![0]!, symbol: ghost };
    const refused = `section '${rela.name}' still refers to something missing: a relocation against a missing symbol`;
    expect(() => writeElf(elf)).toThrow(refused);
  });

  test('a symbol added to the list in place, without its index, is in the file', async () => {
    const elf = await parsedFixture('livepatch', 'ppc64le');
    const rela = elf.sections.find((s) => s.relocations && s.relocations.length > 0)!;
    const added = new ElfSymbol({ name: 'added_in_place', bind: STB.GLOBAL, type: STT.NOTYPE });
    elf.symbols.push(added); // no renumber(): its index is still -1
    rela.relocations![0] = { ...rela.relocations![0]!, symbol: added };
    const out = parseElf(writeElf(elf), 'out.ko');
    const written = out.sections.find((s) => s.name === rela.name)!.relocations![0]!;
    expect(written.symbol.name).toBe('added_in_place');
  });

  test('a symbol defined in a section not in the file is refused', async () => {
    const elf = await parsedFixture('livepatch', 'i386');
    const elsewhere = new Section({ name: '.elsewhere', type: SHT.PROGBITS });
    elf.symbols.push(new ElfSymbol({ name: 'homeless', bind: STB.GLOBAL, type: STT.OBJECT, section: elsewhere }));
    expect(() => writeElf(elf)).toThrow(/symbol 'homeless' is defined in missing section '\.elsewhere'/);
  });

  test('remove() words the same references as removed', async () => {
    const elf = await parsedFixture('livepatch', 'x86_64');
    const text = elf.sections.find((s) => s.name === '.text')!;
    const refused = /still refers to something removed: its sh_info to '\.text'|is defined in removed section '\.text'/;
    expect(() => elf.removeSections((s) => s === text)).toThrow(refused);
  });
});
