import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ElfFile, parseElf, writeElf } from '../../src/elf/index.js';
import { convertElf } from '../../src/convert/convert.js';
import { ConversionFailed } from '../../src/convert/diagnostics.js';
import { buildFixture } from '../support/fixtures.js';
import { errorsOf } from './harness.js';
import { ANNOTATED_MAP as MAP, VMLINUX_EXPORTS } from '../support/fixture-symbols.js';
import { memoryLookup } from './lookup.js';

/** Build the annotated fixture, let `edit` damage it through the model, write and re-read it, convert. */
async function convertEdited(edit: (elf: ElfFile) => void): Promise<string[]> {
  const ko = await buildFixture('annotated', 'x86_64');
  const elf = parseElf(readFileSync(ko), ko);
  edit(elf);
  const bytes = writeElf(elf);
  try {
    convertElf(parseElf(bytes, 'edited.ko'), bytes, memoryLookup(MAP, VMLINUX_EXPORTS), [], {});
  } catch (e) {
    if (e instanceof ConversionFailed) return errorsOf(e.diagnostics);
    throw e;
  }
  throw new Error('conversion unexpectedly succeeded');
}

const relocsOf = (elf: ElfFile, name: string) =>
  elf.sections.find((s) => s.name === `.rela.klp.module_relocs.${name}`)!.relocations!;

describe('annotation errors', () => {
  it('two annotations for one symbol that disagree', async () => {
    const errors = await convertEdited((elf) => {
      const r = relocsOf(elf, 'vmlinux');
      r[1]!.symbol = r[0]!.symbol; // entry 1 (pos 1) now also names has_steal_clock (pos 2 at entry 0)
    });
    expect(errors.join('\n')).toMatch(/edited\.ko: conflicting annotations for 'has_steal_clock': vmlinux,2 at \.klp\.module_relocs\.vmlinux\+0x0 and vmlinux,1 at \.klp\.module_relocs\.vmlinux\+0xc/);
  });

  it('an annotation that matches no relocation', async () => {
    const errors = await convertEdited((elf) => {
      // Retarget every ordinary use of last_cmd to a defined symbol: the annotation is left unused.
      const lastCmd = elf.symbols.find((s) => s.name === 'last_cmd')!;
      const defined = elf.symbols.find((s) => s.name === 'lp_annotated_show')!;
      for (const s of elf.sections) {
        if (!s.relocations || s.name.includes('module_relocs')) continue;
        for (const r of s.relocations) if (r.symbol === lastCmd) r.symbol = defined;
      }
    });
    expect(errors.join('\n')).toMatch(/annotation \.klp\.module_relocs\.vmlinux\+0xc for 'last_cmd' matches no relocation of the livepatch/);
  });

  it('an entry without a relocation, and a section that is not whole entries', async () => {
    const errors = await convertEdited((elf) => {
      const rs = elf.sections.find((s) => s.name === '.rela.klp.module_relocs.klpt_target')!;
      rs.relocations = rs.relocations!.slice(1);
      const sec = elf.sections.find((s) => s.name === '.klp.module_relocs.vmlinux')!;
      sec.data = sec.data.slice(0, sec.data.length - 4);
    });
    const all = errors.join('\n');
    expect(all).toMatch(/section '\.klp\.module_relocs\.klpt_target' entry 0 \(offset 0x0\) has no relocation naming its symbol/);
    expect(all).toMatch(/section '\.klp\.module_relocs\.vmlinux': size 44 is not a multiple of the 12-byte annotation entry/);
  });

  it('a position 0 for a duplicated name', async () => {
    const errors = await convertEdited((elf) => {
      const sec = elf.sections.find((s) => s.name === '.klp.module_relocs.vmlinux')!;
      const data = new Uint8Array(sec.data);
      new DataView(data.buffer).setUint32(8, 0, true); // has_steal_clock, 2 -> 0
      sec.data = data;
    });
    expect(errors.join('\n')).toMatch(/annotation \.klp\.module_relocs\.vmlinux\+0x0 gives position 0 for 'has_steal_clock' in vmlinux, but vmlinux has 2 symbols of that name/);
  });
});
