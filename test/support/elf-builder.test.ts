// The in-memory ELF builder writes what it was told, in a form src/elf and
// GNU readelf both read the same way, on every machine it knows.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../src/elf/index.js';
import { expectMatchesReadelf } from '../elf/helpers.js';
import { buildElf, type Machine, MACHINES, type ModuleSpec } from './elf-builder.js';
import { readElfBytes, SHT_REL, SHT_RELA } from './elf-bytes.js';
import { readelfView } from './readelf.js';

const scratch = mkdtempSync(join(tmpdir(), 'klp-elf-builder-'));

function sample(machine: Machine): ModuleSpec {
  return {
    machine,
    sections: [
      { name: '.text', data: '00112233445566778899aabbccddeeff' },
      { name: '.data', data: 16 },
    ],
    symbols: [
      { name: 'local_fn', section: '.text', value: 8, size: 8, bind: 'local' },
      { name: 'patched_fn', section: '.text', size: 8 },
      { name: 'counter', section: '.data', size: 8, bind: 'weak' },
      { name: 'far_away' },
    ],
    relocations: [
      { section: '.text', offset: 4, type: 2, symbol: 'far_away', addend: MACHINES[machine].rela ? -4 : 0 },
      { section: '.data', offset: 0, type: 1, symbol: 'local_fn' },
    ],
  };
}

describe.each(Object.keys(MACHINES) as Machine[])('ELF builder, %s', (machine) => {
  const m = MACHINES[machine];
  const bytes = buildElf(sample(machine));

  it('writes a file src/elf and readelf read alike, without a readelf warning', async () => {
    const file = join(scratch, `${machine}.o`);
    writeFileSync(file, bytes);
    const view = await readelfView(file, { lint: true });
    expect(view.diagnostics).toEqual([]);
    const stats = expectMatchesReadelf(parseElf(bytes, file), view, machine, { requireKnownTypes: true });
    expect(stats.relocations).toBe(2);
    expect(view.header.elfClass).toBe(m.is64 ? 64 : 32);
    expect(view.header.littleEndian).toBe(m.littleEndian);
  });

  it('puts the described symbols, locals first, and their relocations where it was told', () => {
    const elf = readElfBytes(bytes);
    expect(elf.shape.is64).toBe(m.is64);
    expect(elf.symbols.map((s) => [s.name, s.bind, s.shndx === 0 ? 'UND' : elf.sections[s.shndx]!.name])).toEqual([
      ['', 0, 'UND'],
      ['local_fn', 0, '.text'],
      ['patched_fn', 1, '.text'],
      ['counter', 2, '.data'],
      ['far_away', 1, 'UND'],
    ]);
    expect(elf.section('.symtab')!.info).toBe(2);
    const relName = m.rela ? '.rela.text' : '.rel.text';
    const rel = elf.section(relName)!;
    expect(rel.type).toBe(m.rela ? SHT_RELA : SHT_REL);
    expect(elf.sections[rel.info]!.name).toBe('.text');
    expect(elf.relas(rel).map((r) => [r.offset, r.type, r.symbol.name, r.addend])).toEqual([
      [4n, 2, 'far_away', m.rela ? -4n : 0n],
    ]);
    expect(elf.modinfo()).toEqual(['livepatch=Y']);
  });
});

describe('ELF builder input checks', () => {
  it('refuses a relocation to a symbol it was not given, and an addend SHT_REL cannot hold', () => {
    const toNope = [{ section: '.text', offset: 0, type: 2, symbol: 'nope' }];
    expect(() => buildElf({ ...sample('x86_64'), relocations: toNope })).toThrow(/unknown symbol 'nope'/);
    const withAddend = [{ section: '.text', offset: 0, type: 2, symbol: 'far_away', addend: 4 }];
    expect(() => buildElf({ ...sample('i386'), relocations: withAddend })).toThrow(/SHT_REL/);
  });
});
