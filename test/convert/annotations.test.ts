import { describe, expect, it } from 'vitest';
import { SHN } from '../../src/elf/index.js';
import { readelfView } from '../support/readelf.js';
import { convertFixture, errorsOf, failingConversion, hint } from './harness.js';
import { ANNOTATED_MAP, VMLINUX_EXPORTS } from '../support/fixture-symbols.js';
import { memoryLookup } from './lookup.js';

describe('KLP_SYMPOS annotations (.klp.module_relocs.<obj>)', () => {
  it('uses each annotated position, and removes the annotation sections and their symbols', async () => {
    const { input, output, result } = await convertFixture(
      'annotated',
      'x86_64',
      memoryLookup(ANNOTATED_MAP, VMLINUX_EXPORTS),
    );
    const before = await readelfView(input);
    const after = await readelfView(output);
    expect(before.sections.some((s) => s.name.startsWith('.klp.module_relocs.'))).toBe(true);
    expect(after.sections.filter((s) => s.name.includes('klp.module_relocs'))).toEqual([]);
    expect(after.diagnostics).toEqual([]);
    const names = after.symbols.filter((s) => s.shndx === SHN.LIVEPATCH).map((s) => s.name).sort();
    expect(names).toEqual([
      '.klp.sym.klpt_target.klp_string.12345,0',
      '.klp.sym.klpt_target.klpt_dup,1',
      '.klp.sym.vmlinux.has_steal_clock,2',
      '.klp.sym.vmlinux.last_cmd,1',
      '.klp.sym.vmlinux.m_show,2',
      '.klp.sym.vmlinux.nr_processes,0',
      '.klp.sym.vmlinux.saved_command_line,0',
    ]);
    // No symbol of the output is defined in a removed section, and no relocation points into one.
    const how = Object.fromEntries(result.plan.converted.map((c) => [c.name, c.how]));
    expect(how.has_steal_clock).toBe('annotation');
    expect(how.nr_processes).toBe('unique');
  });

  it('rejects an annotated position the map cannot satisfy', async () => {
    const map = {
      ...ANNOTATED_MAP,
      vmlinux: ANNOTATED_MAP.vmlinux.filter((n, i) => !(n === 'has_steal_clock' && i === 1)),
    };
    const errors = errorsOf(await failingConversion('annotated', 'x86_64', memoryLookup(map, VMLINUX_EXPORTS)));
    expect(errors.join('\n')).toMatch(/annotation \.klp\.module_relocs\.vmlinux\+0x0 gives position 2 for 'has_steal_clock' in vmlinux, which has only 1/);
  });

  it('refuses a positions file that contradicts an annotation', async () => {
    const errors = errorsOf(
      await failingConversion('annotated', 'x86_64', memoryLookup(ANNOTATED_MAP, VMLINUX_EXPORTS), [
        hint('m_show', { object: 'vmlinux', position: 1 }, 3),
      ]),
    );
    expect(errors.join('\n')).toMatch(/'m_show' is annotated as vmlinux,2 \(\.klp\.module_relocs\.vmlinux\+0x18\) but positions\.yaml:3 says object vmlinux, position 1/);
    // Agreeing is fine.
    const { result } = await convertFixture('annotated', 'x86_64', memoryLookup(ANNOTATED_MAP, VMLINUX_EXPORTS), [
      hint('m_show', { object: 'vmlinux', position: 2 }),
    ]);
    expect(result.plan.converted.find((c) => c.name === 'm_show')!.klpName).toBe('.klp.sym.vmlinux.m_show,2');
  });

  it('trusts annotations for objects no map describes', async () => {
    const map = { vmlinux: ANNOTATED_MAP.vmlinux };
    const { result } = await convertFixture('annotated', 'x86_64', memoryLookup(map, VMLINUX_EXPORTS));
    expect(result.plan.converted.find((c) => c.name === 'klpt_dup')!.klpName).toBe('.klp.sym.klpt_target.klpt_dup,1');
  });

  for (const arch of ['ppc64le', 's390x', 'aarch64', 'ppc64', 'ppc32'] as const) {
    it(`reads the 12-byte entries in the module's byte order (${arch})`, async () => {
      const { result } = await convertFixture(
        'annotated',
        arch,
        memoryLookup(ANNOTATED_MAP, { ...VMLINUX_EXPORTS, _mcount: 'vmlinux' }),
      );
      const got = Object.fromEntries(result.plan.converted.map((c) => [c.name, c.klpName]));
      expect(got.has_steal_clock).toBe('.klp.sym.vmlinux.has_steal_clock,2');
      expect(got.klpt_dup).toBe('.klp.sym.klpt_target.klpt_dup,1');
    });
  }
});

describe('asm-label annotations (.klp.sym.rela.<lp_obj>.<sym_obj>.<sym>,<pos>)', () => {
  it('moves each relocation to the patched object\'s section and renames the symbol', async () => {
    const { output, result } = await convertFixture('extern', 'x86_64', memoryLookup({}, VMLINUX_EXPORTS));
    const after = await readelfView(output);
    const names = after.symbols.filter((s) => s.shndx === SHN.LIVEPATCH).map((s) => s.name).sort();
    expect(names).toEqual([
      '.klp.sym.klpt_target.klpt_target_secret,0',
      '.klp.sym.vmlinux.has_steal_clock,2',
      '.klp.sym.vmlinux.nr_processes,0',
      '.klp.sym.vmlinux.saved_command_line,0',
      '.klp.sym.vmlinux.x,0',
    ]);
    expect(after.sections.map((s) => s.name)).toEqual(
      expect.arrayContaining(['.klp.rela.vmlinux..text', '.klp.rela.klpt_target..text']),
    );
    expect(result.plan.converted.every((c) => c.how === 'asm-label')).toBe(true);
  });

  it('checks asm-label positions against the maps', async () => {
    const errors = errorsOf(
      await failingConversion(
        'extern',
        'x86_64',
        memoryLookup({ vmlinux: ['has_steal_clock', 'saved_command_line', 'nr_processes', 'x'] }, VMLINUX_EXPORTS),
      ),
    );
    expect(errors.join('\n')).toMatch(/asm label '\.klp\.sym\.rela\.vmlinux\.vmlinux\.has_steal_clock,2' gives position 2 for 'has_steal_clock' in vmlinux, which has only 1/);
  });
});
