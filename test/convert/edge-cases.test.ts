import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ElfFile, parseElf, SHF, STB, writeElf } from '../../src/elf/index.js';
import { convertElf } from '../../src/convert/convert.js';
import { ConversionFailed, type Diagnostic } from '../../src/convert/diagnostics.js';
import { checkLivepatchElf, livepatchRuleViolations } from '../../src/convert/verify.js';
import type { PositionHintInput } from '../../src/convert/symbol-source.js';
import { buildFixture } from '../support/fixtures.js';
import { errorsOf, hint } from './harness.js';
import { LIVEPATCH_MAP as MAP, VMLINUX_EXPORTS } from '../support/fixture-symbols.js';
import { memoryLookup } from './lookup.js';

interface Outcome {
  ok: boolean;
  diagnostics: Diagnostic[];
  output?: Uint8Array;
}

/** Convert the x86_64 "livepatch" fixture after `edit` changed the model (written and re-read, as a file would be). */
async function convertEdited(
  edit: (elf: ElfFile) => void,
  hints: PositionHintInput[] = [],
  trailer?: Uint8Array,
): Promise<Outcome> {
  const ko = await buildFixture('livepatch', 'x86_64');
  const elf = parseElf(readFileSync(ko), ko);
  edit(elf);
  let bytes = writeElf(elf);
  if (trailer) bytes = Buffer.concat([bytes, trailer]);
  try {
    const r = convertElf(parseElf(bytes, 'edited.ko'), bytes, memoryLookup(MAP, VMLINUX_EXPORTS), hints, {});
    return { ok: true, diagnostics: r.diagnostics, output: r.output };
  } catch (e) {
    if (e instanceof ConversionFailed) return { ok: false, diagnostics: e.diagnostics };
    throw e;
  }
}

const rename = (from: string, to: string) => (elf: ElfFile) => {
  elf.symbols.find((s) => s.name === from)!.name = to;
};

describe('planner edge cases', () => {
  it('a malformed .klp.sym.rela. name', async () => {
    const r = await convertEdited(rename('nr_threads', '.klp.sym.rela.vmlinux.nr_threads'));
    expect(errorsOf(r.diagnostics).join('\n')).toMatch(/symbol '\.klp\.sym\.rela\.vmlinux\.nr_threads' is not of the form \.klp\.sym\.rela\.<patched object>\.<symbol object>\.<symbol>,<position>/);
  });

  it('a vmlinux symbol gated on a module', async () => {
    const r = await convertEdited(rename('nr_threads', '.klp.sym.rela.klpt_target.vmlinux.nr_threads,0'));
    expect(errorsOf(r.diagnostics).join('\n')).toMatch(/symbol 'nr_threads' is in vmlinux but its relocations would be applied when module 'klpt_target' loads/);
  });

  it('a symbol name the kernel cannot parse', async () => {
    const r = await convertEdited(rename('nr_threads', 'nr,threads'));
    expect(errorsOf(r.diagnostics).join('\n')).toMatch(/symbol name 'nr,threads' contains ','/);
  });

  it('a positions entry whose object has no such symbol', async () => {
    const r = await convertEdited(() => {}, [hint('nr_threads', { object: 'klpt_target', position: 1 }, 4)]);
    expect(errorsOf(r.diagnostics).join('\n')).toMatch(/positions\.yaml:4 names 'nr_threads' in klpt_target, but the symbol maps have no 'nr_threads' in klpt_target/);
  });

  it('a hint that matches no definition, and why when the maps have no files', async () => {
    const r = await convertEdited(() => {}, [hint('nr_threads', { file: 'kernel/fork.c' }, 9)]);
    const text = errorsOf(r.diagnostics).join('\n');
    expect(text).toMatch(/no definition of 'nr_threads' matches file kernel\/fork\.c \(positions\.yaml:9\)/);
    expect(text).toMatch(/the maps that describe 'nr_threads' record no source files/);
  });

  it('a weak undefined symbol found nowhere stays undefined, with a warning', async () => {
    const r = await convertEdited((elf) => {
      const s = elf.symbols.find((x) => x.name === 'nr_threads')!;
      s.name = 'lp_optional_hook';
      s.bind = STB.WEAK;
    });
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map((d) => d.message).join('\n')).toMatch(/weak symbol 'lp_optional_hook' is in no symbol map and not exported; left undefined/);
  });

  it('removes an appended module signature, which the edit invalidates, and says so', async () => {
    const sig = Buffer.concat([Buffer.alloc(32, 7), Buffer.from('~Module signature appended~\n')]);
    const r = await convertEdited(() => {}, [], sig);
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map((d) => d.message).join('\n')).toMatch(/module signature no longer matches and was removed; sign the converted module again/);
    expect(Buffer.from(r.output!).includes(Buffer.from('~Module signature appended~'))).toBe(false);
  });
});

describe('checkLivepatchElf: the kernel rules applied to any module', () => {
  async function converted(): Promise<ElfFile> {
    const r = await convertEdited(() => {});
    return parseElf(r.output!, 'out.ko');
  }

  it('accepts our output', async () => {
    expect(checkLivepatchElf(await converted())).toEqual([]);
  });

  it('catches a missing SHF_RELA_LIVEPATCH or SHF_ALLOC (silent zero addresses, ' +
    'or an oops, in the kernel)', async () => {
    const elf = await converted();
    const s = elf.sections.find((x) => x.name === '.klp.rela.vmlinux..text')!;
    s.flags &= ~SHF.RELA_LIVEPATCH;
    const t = elf.sections.find((x) => x.name === '.klp.rela.klpt_target..text')!;
    t.flags &= ~SHF.ALLOC;
    const problems = checkLivepatchElf(parseElf(writeElf(elf), 'broken.ko')).join('\n');
    expect(problems).toMatch(/section '\.klp\.rela\.vmlinux\.\.text': flags 0x42 lack SHF_ALLOC\|SHF_RELA_LIVEPATCH/);
    expect(problems).toMatch(/section '\.klp\.rela\.klpt_target\.\.text': flags 0x100040 lack/);
  });

  it('catches a klp symbol that is not SHN_LIVEPATCH, ' +
    'a bad name, and a vmlinux symbol in a module section', async () => {
    const elf = await converted();
    const byName = (n: string) => elf.symbols.find((s) => s.name === n)!;
    byName('.klp.sym.vmlinux.nr_threads,0').special = 0;
    byName('.klp.sym.vmlinux.total_forks,0').name = '.klp.sym.vmlinux.total_forks;0';
    const modSec = elf.sections.find((x) => x.name === '.klp.rela.klpt_target..text')!;
    modSec.relocations![0]!.symbol = byName('.klp.sym.vmlinux.saved_command_line,0');
    const problems = checkLivepatchElf(parseElf(writeElf(elf), 'broken.ko')).join('\n');
    expect(problems).toMatch(
      /symbol 'nr_threads'|symbol '\.klp\.sym\.vmlinux\.nr_threads,0' is not marked SHN_LIVEPATCH/,
    );
    expect(problems).toMatch(
      /'\.klp\.sym\.vmlinux\.total_forks;0' is SHN_LIVEPATCH but not \.klp\.sym\.<object>\.<name>,<position>/,
    );
    expect(problems).toMatch(
      /vmlinux symbol '\.klp\.sym\.vmlinux\.saved_command_line,0' in a module-specific klp section/,
    );
  });
});

describe('the rule check reads tables still in their bytes as it reads decoded ones', () => {
  it('finds the same violations, in the same order, either way', async () => {
    const ko = await buildFixture('livepatch', 'x86_64');
    const bytes = readFileSync(ko);
    const out = convertElf(parseElf(bytes, ko), bytes, memoryLookup(MAP, VMLINUX_EXPORTS), [], {}).output;
    const elf = parseElf(out, 'out.ko');
    const byName = (n: string) => elf.symbols.find((s) => s.name === n)!;
    byName('.klp.sym.vmlinux.nr_threads,0').special = 0;
    elf.sections.find((x) => x.name === '.klp.rela.klpt_target..text')!.relocations![0]!.symbol =
      byName('.klp.sym.vmlinux.saved_command_line,0');
    for (const written of [out, writeElf(elf)]) {
      const encoded = parseElf(written, 'x.ko');
      const decoded = parseElf(written, 'x.ko');
      for (const s of decoded.sections) void s.relocations;
      expect(encoded.sections.some((s) => s.encodedRelocations)).toBe(true);
      expect(decoded.sections.some((s) => s.encodedRelocations)).toBe(false);
      expect(livepatchRuleViolations(encoded)).toEqual(livepatchRuleViolations(decoded));
    }
    expect(livepatchRuleViolations(parseElf(writeElf(elf), 'x.ko')).map((d) => d.message)).toHaveLength(2);
  });
});

describe('positions in modules must hold while the module is still loading', () => {
  const base = (objects: Readonly<Record<string, readonly string[]>>) => memoryLookup(objects, VMLINUX_EXPORTS);

  async function run(lookup: ReturnType<typeof memoryLookup>, hints: PositionHintInput[] = []): Promise<Outcome> {
    const ko = await buildFixture('livepatch', 'x86_64');
    const bytes = readFileSync(ko);
    try {
      const r = convertElf(parseElf(bytes, ko), bytes, lookup, hints, {});
      return { ok: true, diagnostics: r.diagnostics };
    } catch (e) {
      if (e instanceof ConversionFailed) return { ok: false, diagnostics: e.diagnostics };
      throw e;
    }
  }

  it('refuses position 0 when init symbols make the name ambiguous at load time', async () => {
    const l = base(MAP);
    const r = await run({
      ...l,
      countAtLoad: (o, n) => (o === 'klpt_target' && n === 'klpt_target_secret' ? 2 : l.countIn(o, n)),
    });
    expect(errorsOf(r.diagnostics).join('\n')).toMatch(/'klpt_target_secret' is unique in klpt_target after it initialises, but while klpt_target is loading the kernel counts 2/);
  });

  it('refuses a position that shifts at load time, accepts one that does not', async () => {
    const objects = { ...MAP, klpt_target: ['klpt_target_secret', 'klpt_target_secret', 'klpt_target_exported'] };
    const l = base(objects);
    const shifted = (rank2: number) => ({
      ...l,
      countAtLoad: (o: string, n: string) => (n === 'klpt_target_secret' ? 3 : l.countIn(o, n)),
      definitions: (n: string) =>
        l
          .definitions(n)
          .map((d) => (n === 'klpt_target_secret' ? { ...d, loadRank: d.rank === 2 ? rank2 : d.rank } : d)),
    });
    const bad = await run(shifted(3), [hint('klpt_target_secret', { object: 'klpt_target', position: 2 })]);
    expect(errorsOf(bad.diagnostics).join('\n')).toMatch(/position 2 of 'klpt_target_secret' in klpt_target \(of 2\) becomes position 3 while klpt_target is loading/);
    const good = await run(shifted(2), [hint('klpt_target_secret', { object: 'klpt_target', position: 2 })]);
    expect(good.ok).toBe(true);
  });
});
