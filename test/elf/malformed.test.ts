/**
 * (d) Malformed input: every broken file must be refused with an
 * ElfFormatError whose fields and message name the file, the section (where
 * one is involved) and the file offset; never a TypeError, RangeError or a
 * silent success. Inputs are fixtures with one field overwritten, built by the
 * independent test/support/elf-bytes.ts.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { ElfFormatError, parseElf, writeElf } from '../../src/elf/index.js';
import {
  type ElfShape,
  SHT_GROUP,
  SHT_REL,
  SHT_RELA,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  elfShape,
  firstDefinedSymbol,
  firstSectionOfType,
  readUint,
  sectionByName,
  symbolCount,
  symbolOffset,
  withHeaderField,
  withSectionField,
  writeUint,
} from '../support/elf-bytes.js';
import { type Arch, buildFixture } from '../support/fixtures.js';

/** One arch per class/byte-order combination, plus the REL one. */
const ARCHS: Arch[] = ['x86_64', 'ppc64', 'i386', 'ppc32', 'aarch64', 's390x', 'ppc64le'];
/** The largest value an address-sized field holds: past any file, and past 2^53 on ELF64. */
const wordMax = (is64: boolean, big: bigint): bigint => (is64 ? big : 0xffff_ffffn);

interface Want {
  /** The section the error must name; undefined = no requirement, null = must name none. */
  section?: string | null;
  /** Offsets that are acceptable as "where" (e.g. the bad field or the start of its record). */
  offsets?: number[];
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** Parses `bytes` expecting an ElfFormatError that names file, section and offset. */
function expectFormatError(bytes: Uint8Array, file: string, want: Want, label: string): ElfFormatError {
  let err: unknown;
  try {
    const elf = parseElf(bytes, file);
    // Parsing succeeded: writing must not crash either, but the case expects a refusal.
    writeElf(elf);
  } catch (e) {
    err = e;
  }
  expect(
    err,
    `${label}: expected an ElfFormatError, got ${err === undefined ? 'no error' : String(err)}`,
  ).toBeInstanceOf(ElfFormatError);
  const e = err as ElfFormatError;
  expect(e.name, label).toBe('ElfFormatError');
  expect(e.file, `${label}: error.file`).toBe(file);
  expect(e.message, `${label}: message names the file`).toContain(file);
  expect(typeof e.offset, `${label}: error.offset (${e.message})`).toBe('number');
  expect(e.message, `${label}: message names the offset`).toContain(hex(e.offset!));
  if (want.section === null) expect(e.section, `${label}: error.section (${e.message})`).toBeUndefined();
  else if (want.section !== undefined) {
    expect(e.section, `${label}: error.section (${e.message})`).toBe(want.section);
    expect(e.message, `${label}: message names the section`).toContain(`'${want.section}'`);
  }
  if (want.offsets) {
    expect(want.offsets.map(hex), `${label}: error.offset ${hex(e.offset!)} (${e.message})`).toContain(hex(e.offset!));
  }
  return e;
}

/**
 * The fuzz contract for one input: refused with an ElfFormatError that names
 * the offset, or accepted and written back byte for byte.
 */
function expectRefusedOrRoundTrip(bytes: Uint8Array, file: string, label: string): void {
  let elf;
  try {
    elf = parseElf(bytes, file);
  } catch (e) {
    expect(e, `${label}: ${String(e)}`).toBeInstanceOf(ElfFormatError);
    expect(typeof (e as ElfFormatError).offset, `${label}: error.offset (${(e as Error).message})`).toBe('number');
    return;
  }
  const out = writeElf(elf);
  let i = 0;
  while (i < bytes.length && i < out.length && bytes[i] === out[i]) i++;
  const same = i === bytes.length && i === out.length;
  expect(
    same,
    `${label}: accepted, but a no-op write changed the file ` +
      `(${bytes.length} -> ${out.length} bytes, first difference at 0x${i.toString(16)})`,
  ).toBe(true);
}

/** The last symbol whose stored st_shndx is SHN_XINDEX. */
function farSymbol(bytes: Uint8Array, shape: ElfShape): number {
  for (let k = symbolCount(shape) - 1; k > 0; k--) {
    if (Number(readUint(bytes, symbolOffset(shape, k) + shape.stField.shndx, 2, shape.le)) === 0xffff) return k;
  }
  throw new Error('no symbol uses SHN_XINDEX');
}

function relocSection(shape: ElfShape) {
  const s = shape.sections.find(
    (x) => (x.type === SHT_RELA || x.type === SHT_REL) && (x.name === '.rela.text' || x.name === '.rel.text'),
  );
  if (!s) throw new Error('fixture has no .rela.text/.rel.text');
  return s;
}

describe.each(ARCHS)('malformed input, %s', (arch) => {
  const load = async (name = 'livepatch') => {
    const path = await buildFixture(name, arch);
    const bytes = new Uint8Array(await readFile(path));
    return { path, bytes, shape: elfShape(bytes), file: `${arch}-${name}.ko` };
  };

  test('truncated at every header, section-header and section boundary', async () => {
    const { bytes, shape, file } = await load();
    const cuts = new Set<number>([0, 1, 3, 4, 5, 6, 15, 16, 17, bytes.length - 1]);
    for (const off of Object.values(shape.field)) {
      cuts.add(off);
      cuts.add(off + 1);
    }
    cuts.add(shape.ehsize - 1);
    cuts.add(shape.ehsize);
    for (let i = 0; i <= shape.shnum; i++) {
      cuts.add(shape.shoff + i * shape.shentsize);
      cuts.add(shape.shoff + i * shape.shentsize + 1);
    }
    for (const s of shape.sections) {
      if (s.index === 0 || s.size === 0 || s.type === 8 /* NOBITS */) continue;
      cuts.add(s.offset);
      cuts.add(s.offset + 1);
      cuts.add(s.offset + s.size - 1);
    }
    let n = 0;
    for (const len of [...cuts].sort((a, b) => a - b)) {
      if (len >= bytes.length) continue;
      // The section header table is the last thing in every fixture, so any cut breaks the file.
      expectFormatError(bytes.subarray(0, len), file, {}, `cut at ${hex(len)}`);
      n++;
    }
    expect(n).toBeGreaterThan(100);
  });

  test('bad magic, class and byte order', async () => {
    const { bytes, file } = await load();
    const b1 = bytes.slice();
    b1[1] = 0x46;
    expectFormatError(b1, file, { section: null, offsets: [0, 1] }, 'bad magic');
    const b2 = bytes.slice();
    b2[4] = 3;
    expectFormatError(b2, file, { section: null, offsets: [4] }, 'bad EI_CLASS');
    const b3 = bytes.slice();
    b3[5] = 0;
    expectFormatError(b3, file, { section: null, offsets: [5] }, 'bad EI_DATA');
  });

  test('e_shoff past the end of the file', async () => {
    const { bytes, shape, file } = await load();
    for (const shoff of [bytes.length, bytes.length + 8, bytes.length - shape.shentsize + 1, 0x7fff_fff0]) {
      expectFormatError(
        withHeaderField(bytes, 'shoff', shoff),
        file,
        { section: null, offsets: [shoff, shape.field.shoff] },
        `e_shoff ${hex(shoff)}`,
      );
    }
    if (shape.is64) {
      const huge = 0xffff_ffff_ffff_0000n;
      expectFormatError(withHeaderField(bytes, 'shoff', huge), file, { section: null }, 'e_shoff 2^64-x');
    }
  });

  test('bad e_shentsize', async () => {
    const { bytes, shape, file } = await load();
    for (const v of [0, 1, shape.shentsize - 1, shape.shentsize + 1, shape.is64 ? 40 : 64]) {
      expectFormatError(
        withHeaderField(bytes, 'shentsize', v),
        file,
        { section: null, offsets: [shape.field.shentsize] },
        `e_shentsize ${v}`,
      );
    }
  });

  test('bad e_shnum', async () => {
    const { bytes, shape, file } = await load();
    expectFormatError(withHeaderField(bytes, 'shnum', shape.shnum + 1), file, {}, 'e_shnum + 1');
    expectFormatError(withHeaderField(bytes, 'shnum', 0xfeff), file, {}, 'e_shnum 0xfeff');
  });

  test('bad e_shstrndx', async () => {
    const { bytes, shape, file } = await load();
    for (const v of [shape.shnum, shape.shnum + 5, 0xfeff]) {
      expectFormatError(
        withHeaderField(bytes, 'shstrndx', v),
        file,
        { section: null, offsets: [shape.field.shstrndx] },
        `e_shstrndx ${v}`,
      );
    }
    // SHN_XINDEX escape without a value in section 0's sh_link.
    expectFormatError(
      withHeaderField(bytes, 'shstrndx', 0xffff),
      file,
      { offsets: [shape.field.shstrndx, shape.shoff, shape.shoff + shape.shField.link] },
      'e_shstrndx SHN_XINDEX, sh_link 0',
    );
  });

  test('sh_offset + sh_size past the end of the file', async () => {
    const { bytes, shape, file } = await load();
    for (const name of ['.text', '.data', '.symtab', '.strtab', relocSection(shape).name]) {
      const s = sectionByName(shape, name);
      const { bytes: b1 } = withSectionField(bytes, name, 'size', bytes.length - s.offset + 1);
      expectFormatError(
        b1,
        file,
        { section: name, offsets: [s.offset, s.at, s.at + shape.shField.size, s.at + shape.shField.offset] },
        `${name} sh_size`,
      );
      const { bytes: b2 } = withSectionField(bytes, name, 'offset', bytes.length - 1);
      expectFormatError(
        b2,
        file,
        { section: name, offsets: [bytes.length - 1, s.at, s.at + shape.shField.offset] },
        `${name} sh_offset`,
      );
    }
    // The section name table itself: its name cannot be known, the message says '#<index>'.
    const shstr = shape.sections[shape.shstrndx]!;
    const { bytes: b3 } = withSectionField(bytes, shape.shstrndx, 'size', bytes.length);
    const e = expectFormatError(b3, file, {}, '.shstrtab sh_size');
    expect(e.section ?? '', e.message).toMatch(new RegExp(`^(#${shape.shstrndx}|\\.shstrtab)$`));
    void shstr;
  });

  test('sh_offset beyond the file (2^63 on ELF64, beyond 2^53; 2^32-1 on ELF32)', async () => {
    const { bytes, shape, file } = await load();
    const text = sectionByName(shape, '.text');
    const max = wordMax(shape.is64, 0x8000_0000_0000_0000n);
    const { bytes: b4 } = withSectionField(bytes, '.text', 'offset', max);
    // Beyond 2^53 the bad header field is named; a 32-bit offset is named where the contents would start.
    const where = shape.is64 ? [text.at, text.at + shape.shField.offset] : [Number(max)];
    expectFormatError(
      b4,
      file,
      { section: '.text', offsets: where },
      '.text sh_offset beyond the file',
    );
  });

  test('sh_size beyond the file (2^64-1 on ELF64, beyond 2^53; 2^32-1 on ELF32)', async () => {
    const { bytes, shape, file } = await load();
    const text = sectionByName(shape, '.text');
    const { bytes: b5 } = withSectionField(bytes, '.text', 'size', wordMax(shape.is64, 0xffff_ffff_ffff_ffffn));
    const where = shape.is64 ? [text.at, text.at + shape.shField.size] : [Number(text.offset)];
    expectFormatError(
      b5,
      file,
      { section: '.text', offsets: where },
      '.text sh_size beyond the file',
    );
  });

  test('bad sh_entsize for the symbol table and a relocation section', async () => {
    const { bytes, shape, file } = await load();
    const symtab = firstSectionOfType(shape, SHT_SYMTAB);
    for (const v of [0, shape.symSize - 1, shape.symSize + 8]) {
      const { bytes: b } = withSectionField(bytes, symtab.index, 'entsize', v);
      expectFormatError(
        b,
        file,
        { section: '.symtab', offsets: [symtab.at, symtab.at + shape.shField.entsize] },
        `.symtab sh_entsize ${v}`,
      );
    }
    const rel = relocSection(shape);
    const good = rel.entsize;
    for (const v of [0, good - 1, good + 4, good === 24 ? 16 : 24]) {
      const { bytes: b } = withSectionField(bytes, rel.index, 'entsize', v);
      expectFormatError(
        b,
        file,
        { section: rel.name, offsets: [rel.at, rel.at + shape.shField.entsize] },
        `${rel.name} sh_entsize ${v}`,
      );
    }
  });

  test('sh_size not a multiple of sh_entsize', async () => {
    const { bytes, shape, file } = await load();
    const symtab = firstSectionOfType(shape, SHT_SYMTAB);
    const { bytes: b1 } = withSectionField(bytes, symtab.index, 'size', symtab.size - 1);
    expectFormatError(
      b1,
      file,
      { section: '.symtab', offsets: [symtab.offset, symtab.at, symtab.at + shape.shField.size] },
      '.symtab sh_size - 1',
    );
    const rel = relocSection(shape);
    const { bytes: b2 } = withSectionField(bytes, rel.index, 'size', rel.size - 4);
    expectFormatError(
      b2,
      file,
      { section: rel.name, offsets: [rel.offset, rel.at, rel.at + shape.shField.size] },
      `${rel.name} sh_size - 4`,
    );
    const grp = firstSectionOfType(shape, SHT_GROUP);
    const { bytes: b3 } = withSectionField(bytes, grp.index, 'size', grp.size - 2);
    expectFormatError(
      b3,
      file,
      { section: '.group', offsets: [grp.offset, grp.at, grp.at + shape.shField.size] },
      '.group sh_size - 2',
    );
  });

  test('sh_link and sh_info out of range', async () => {
    const { bytes, shape, file } = await load();
    const rel = relocSection(shape);
    const symtab = firstSectionOfType(shape, SHT_SYMTAB);
    const grp = firstSectionOfType(shape, SHT_GROUP);
    const lo = sectionByName(shape, '.lp_link_order');
    const cases: [string, number, 'link' | 'info', number][] = [
      [rel.name, rel.index, 'link', shape.shnum],
      [rel.name, rel.index, 'link', 0xffff_fff0],
      [rel.name, rel.index, 'info', shape.shnum + 3],
      ['.symtab', symtab.index, 'link', shape.shnum],
      ['.group', grp.index, 'link', shape.shnum + 1],
      ['.group', grp.index, 'info', symbolCount(shape)],
      ['.lp_link_order', lo.index, 'link', shape.shnum],
    ];
    for (const [name, index, field, value] of cases) {
      const s = shape.sections[index]!;
      const { bytes: b } = withSectionField(bytes, index, field, value);
      expectFormatError(
        b,
        file,
        { section: name, offsets: [s.at, s.at + shape.shField[field]] },
        `${name} sh_${field} ${value}`,
      );
    }
    // .symtab's sh_link naming something that is not a string table.
    const { bytes: b2 } = withSectionField(bytes, symtab.index, 'link', sectionByName(shape, '.text').index);
    expectFormatError(b2, file, { section: '.symtab' }, '.symtab sh_link to .text');
  });

  test('sh_name past the end of the section name table', async () => {
    const { bytes, shape, file } = await load();
    const text = sectionByName(shape, '.text');
    const shstr = shape.sections[shape.shstrndx]!;
    const { bytes: b } = withSectionField(bytes, text.index, 'name', shstr.size + 10);
    expectFormatError(b, file, { offsets: [text.at, text.at + shape.shField.name] }, '.text sh_name');
  });

  test('st_name past the end of the string table', async () => {
    const { bytes, shape, file } = await load();
    const strtab = sectionByName(shape, '.strtab');
    for (const k of [1, firstDefinedSymbol(bytes, shape), symbolCount(shape) - 1]) {
      const b = bytes.slice();
      const at = symbolOffset(shape, k);
      writeUint(b, at + shape.stField.name, 4, shape.le, strtab.size + 100);
      expectFormatError(b, file, { section: '.symtab', offsets: [at, at + shape.stField.name] }, `symbol ${k} st_name`);
    }
    // Pointing at the last byte of an unterminated table: cut the terminating NUL.
    const b = bytes.slice();
    const lastName = strtab.offset + strtab.size - 1;
    b[lastName] = 0x41;
    const k = symbolCount(shape) - 1;
    const at = symbolOffset(shape, k);
    writeUint(b, at + shape.stField.name, 4, shape.le, strtab.size - 1);
    expectFormatError(
      b,
      file,
      { section: '.symtab', offsets: [at, at + shape.stField.name] },
      'st_name into an unterminated string',
    );
  });

  test('st_shndx out of range, and SHN_XINDEX without .symtab_shndx', async () => {
    const { bytes, shape, file } = await load();
    const k = firstDefinedSymbol(bytes, shape);
    const at = symbolOffset(shape, k);
    for (const v of [shape.shnum, 0xfeff, 0xffff]) {
      const b = bytes.slice();
      writeUint(b, at + shape.stField.shndx, 2, shape.le, v);
      expectFormatError(
        b,
        file,
        { section: '.symtab', offsets: [at, at + shape.stField.shndx] },
        `symbol ${k} st_shndx ${hex(v)}`,
      );
    }
  });

  test('relocation symbol index at or past the symbol count', async () => {
    const { bytes, shape, file } = await load();
    const rel = relocSection(shape);
    const n = symbolCount(shape);
    const w = shape.is64 ? 8 : 4;
    for (const k of [0, rel.size / rel.entsize - 1]) {
      for (const sym of [n, n + 1000, shape.is64 ? 0xffff_ffff : 0xff_ffff]) {
        const b = bytes.slice();
        const at = rel.offset + k * rel.entsize;
        const info = readUint(b, at + w, w as 4 | 8, shape.le);
        const type = shape.is64 ? info & 0xffff_ffffn : info & 0xffn;
        const newInfo = shape.is64 ? (BigInt(sym) << 32n) | type : (BigInt(sym) << 8n) | type;
        writeUint(b, at + w, w as 4 | 8, shape.le, newInfo);
        expectFormatError(b, file, { section: rel.name, offsets: [at, at + w] }, `${rel.name}[${k}] symbol ${sym}`);
      }
    }
  });

  test('group member index out of range or zero', async () => {
    const { bytes, shape, file } = await load();
    const grp = firstSectionOfType(shape, SHT_GROUP);
    for (const v of [0, shape.shnum, 0xffff_ffff]) {
      const b = bytes.slice();
      writeUint(b, grp.offset + 4, 4, shape.le, v);
      expectFormatError(
        b,
        file,
        { section: '.group', offsets: [grp.offset + 4, grp.offset, grp.at] },
        `group member ${v}`,
      );
    }
  });

  test('section name table sh_offset beyond the file names an offset (2^63 on ELF64, 2^32-1 on ELF32)', async () => {
    const { bytes, shape, file } = await load();
    const max = wordMax(shape.is64, 0x8000_0000_0000_0000n);
    const { bytes: b } = withSectionField(bytes, shape.shstrndx, 'offset', max);
    const s = shape.sections[shape.shstrndx]!;
    const where = shape.is64 ? [s.at, s.at + shape.shField.offset] : [Number(max)];
    expectFormatError(b, file, { offsets: where }, '.shstrtab sh_offset beyond the file');
  });

  // Inputs a lenient parser may accept; if it does, writing must not change them.
  test('refused or round-trips: .symtab sh_info not the first non-local symbol', async () => {
    const { bytes, file } = await load();
    const symtab = firstSectionOfType(elfShape(bytes), SHT_SYMTAB);
    for (const v of [symtab.info - 1, symtab.info + 1, 0]) {
      expectRefusedOrRoundTrip(withSectionField(bytes, symtab.index, 'info', v).bytes, file, `.symtab sh_info ${v}`);
    }
  });

  test('refused or round-trips: a LOCAL symbol after the first GLOBAL', async () => {
    const { bytes, shape, file } = await load();
    const symtab = firstSectionOfType(shape, SHT_SYMTAB);
    const b = bytes.slice();
    const at = symbolOffset(shape, symtab.info + 1) + shape.stField.info;
    b[at] = b[at]! & 0x0f; // STB_LOCAL
    expectRefusedOrRoundTrip(b, file, `symbol ${symtab.info + 1} made LOCAL`);
  });

  test('refused or round-trips: e_ehsize larger than the ELF header', async () => {
    const { bytes, file } = await load();
    for (const v of [0xffff, bytes.length + 1, 200]) {
      expectRefusedOrRoundTrip(withHeaderField(bytes, 'ehsize', v), file, `e_ehsize ${v}`);
    }
  });

  test('refused or round-trips: e_shnum 0 with a section header table and no count escape', async () => {
    const { bytes, file } = await load();
    expectRefusedOrRoundTrip(withHeaderField(bytes, 'shnum', 0), file, 'e_shnum 0');
  });

  test('refused or round-trips: e_shoff 0 with e_shnum and e_shstrndx set', async () => {
    const { bytes, file } = await load();
    expectRefusedOrRoundTrip(withHeaderField(bytes, 'shoff', 0), file, 'e_shoff 0');
  });

  test('refused or round-trips: section 0 with a non-zero sh_offset', async () => {
    const { bytes, file } = await load();
    expectRefusedOrRoundTrip(withSectionField(bytes, 0, 'offset', 0x40).bytes, file, 'section 0 sh_offset 0x40');
  });

  test('refused or round-trips: string tables whose last byte is not NUL', async () => {
    const { bytes, shape, file } = await load();
    for (const name of ['.strtab', '.shstrtab']) {
      const s = sectionByName(shape, name);
      // Drop the final NUL from the table's size: the last string is then unterminated.
      expectRefusedOrRoundTrip(
        withSectionField(bytes, s.index, 'size', s.size - 1).bytes,
        file,
        `${name} without its final NUL`,
      );
      // Grow the table over the following bytes up to a non-NUL one: every name
      // is still terminated, but the table's last byte is not NUL.
      let k = 1;
      while (s.offset + s.size + k - 1 < bytes.length && bytes[s.offset + s.size + k - 1] === 0) k++;
      if (s.offset + s.size + k - 1 < bytes.length) {
        expectRefusedOrRoundTrip(
          withSectionField(bytes, s.index, 'size', s.size + k).bytes,
          file,
          `${name} grown by ${k} bytes over non-NUL data`,
        );
      }
    }
  });

  test('refused or round-trips: e_shstrndx naming a section that is not SHT_STRTAB', async () => {
    const { bytes, shape, file } = await load();
    const rel = relocSection(shape);
    expectRefusedOrRoundTrip(withHeaderField(bytes, 'shstrndx', rel.index), file, `e_shstrndx -> ${rel.name}`);
    expectRefusedOrRoundTrip(
      withHeaderField(bytes, 'shstrndx', sectionByName(shape, '.text').index),
      file,
      'e_shstrndx -> .text',
    );
  });

  test('no input crashes with anything but ElfFormatError: empty and tiny files', async () => {
    const file = `${arch}-tiny`;
    for (const b of [
      new Uint8Array(0),
      new Uint8Array([0x7f]),
      new Uint8Array([0x7f, 0x45, 0x4c, 0x46]),
      new Uint8Array(64),
    ]) {
      expectFormatError(b, file, {}, `${b.length}-byte input`);
    }
  });
});

/** The 5-7 MB xindex fixture is slow to copy: one 64-bit LE and one 32-bit BE arch. */
describe.each(['x86_64', 'ppc32'] as const)('malformed SHN_XINDEX input, %s', (arch) => {
  const load = async (name = 'xindex') => {
    const path = await buildFixture(name, arch);
    const bytes = new Uint8Array(await readFile(path));
    return { path, bytes, shape: elfShape(bytes), file: `${arch}-${name}.ko` };
  };

  test('xindex fixture: SHN_XINDEX symbols without a .symtab_shndx', async () => {
    const { bytes, shape, file } = await load('xindex');
    const shndx = firstSectionOfType(shape, SHT_SYMTAB_SHNDX);
    // Retyped to PROGBITS: symbols still say SHN_XINDEX.
    const { bytes: b1 } = withSectionField(bytes, shndx.index, 'type', 1);
    // The first symbol that uses the escape is the one to blame.
    const base = symbolOffset(shape, 0);
    let k = 1;
    while (Number(readUint(bytes, base + k * shape.symSize + shape.stField.shndx, 2, shape.le)) !== 0xffff) k++;
    const at = base + k * shape.symSize;
    expectFormatError(
      b1,
      file,
      { section: '.symtab', offsets: [at, at + shape.stField.shndx] },
      '.symtab_shndx retyped',
    );
  });

  test('xindex fixture: .symtab_shndx shorter than the symbol table', async () => {
    const { bytes, shape, file } = await load('xindex');
    const shndx = firstSectionOfType(shape, SHT_SYMTAB_SHNDX);
    const { bytes: b2 } = withSectionField(bytes, shndx.index, 'size', shndx.size - 8);
    expectFormatError(
      b2,
      file,
      { section: '.symtab_shndx', offsets: [shndx.offset, shndx.at, shndx.at + shape.shField.size] },
      '.symtab_shndx short',
    );
  });

  test('xindex fixture: an extended section index out of range', async () => {
    const { bytes, shape, file } = await load('xindex');
    const shndx = firstSectionOfType(shape, SHT_SYMTAB_SHNDX);
    const far = farSymbol(bytes, shape);
    const b3 = bytes.slice();
    writeUint(b3, shndx.offset + far * 4, 4, shape.le, shape.shnum + 7);
    expectFormatError(
      b3,
      file,
      { section: '.symtab_shndx', offsets: [shndx.offset + far * 4] },
      'extended index out of range',
    );
  });

  test('refused or round-trips: a non-zero .symtab_shndx entry for a symbol without SHN_XINDEX', async () => {
    const { bytes, shape, file } = await load();
    const shndx = firstSectionOfType(shape, SHT_SYMTAB_SHNDX);
    // Symbol 1 has an ordinary st_shndx; the gABI wants its entry to be 0.
    expect(Number(readUint(bytes, symbolOffset(shape, 1) + shape.stField.shndx, 2, shape.le))).not.toBe(0xffff);
    for (const v of [1, 0xffff]) {
      const b = bytes.slice();
      writeUint(b, shndx.offset + 4, 4, shape.le, v);
      expectRefusedOrRoundTrip(b, file, `.symtab_shndx[1] = ${v}`);
    }
  });

  test('refused or round-trips: an SHN_XINDEX symbol whose extended index is below SHN_LORESERVE', async () => {
    const { bytes, shape, file } = await load();
    const shndx = firstSectionOfType(shape, SHT_SYMTAB_SHNDX);
    const far = farSymbol(bytes, shape);
    const b = bytes.slice();
    writeUint(b, shndx.offset + far * 4, 4, shape.le, 1);
    expectRefusedOrRoundTrip(b, file, `.symtab_shndx[${far}] = 1 (st_shndx SHN_XINDEX)`);
  });

  test('xindex fixture: section-count and e_shstrndx escapes out of range', async () => {
    const { bytes, shape, file } = await load('xindex');
    // Section 0's sh_size (the real section count) larger than the file can hold.
    const { bytes: b4 } = withSectionField(bytes, 0, 'size', shape.shnum * 4);
    expectFormatError(b4, file, { section: null }, 'section count escape too large');
    // e_shstrndx escape naming a section past the end.
    const { bytes: b5 } = withSectionField(bytes, 0, 'link', shape.shnum + 1);
    expectFormatError(b5, file, { section: null }, 'shstrndx escape out of range');
  });
});
