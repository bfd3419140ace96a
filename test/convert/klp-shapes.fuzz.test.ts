/**
 * Seeded fuzzing of the whole conversion with the shapes that matter to the
 * livepatch loader: SHF_RELA_LIVEPATCH on any section, sections renamed
 * .klp.rela.*, symbols turned SHN_LIVEPATCH or renamed .klp.sym.*, huge
 * alignments, other section types, over the livepatch fixture of several
 * architectures and the bundled sample. Each mutant goes through what the
 * CLI does (parse, convert, verify) and must end as the CLI promises:
 *   - refused by the parser (ElfFormatError: exit 3), or
 *   - refused by the converter with errors that name the file (exit 1),
 *     none of them internal (exit 4 is for our own faults), or
 *   - converted: the output passes `check` and is at most 4x the input.
 * A failure prints the seed and the mutations, to replay:
 *   KLPT_FUZZ_SEED=<seed> KLPT_FUZZ_ITERATIONS=<n> npx vitest run test/convert/klp-shapes.fuzz.test.ts
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { convertElf, symbolsToLookUp } from '../../src/convert/convert.js';
import { ConversionFailed } from '../../src/convert/diagnostics.js';
import type { SymbolLookup } from '../../src/convert/symbol-source.js';
import { checkLivepatchElf } from '../../src/convert/verify.js';
import { type ElfFile, ElfFormatError, parseElf, SHF, SHN, SHT, writeElf } from '../../src/elf/index.js';
import { loadSymbolIndex } from '../../src/symbols/index.js';
import { type Arch, buildFixture } from '../support/fixtures.js';
import { LIVEPATCH_MAP } from '../support/fixture-symbols.js';
import { rng } from '../support/rng.js';
import { memoryLookup } from './lookup.js';

const SEED = Number(process.env.KLPT_FUZZ_SEED ?? 0x6b6c7032);
const ITERATIONS = Number(process.env.KLPT_FUZZ_ITERATIONS ?? 300);
const ARCHES: Arch[] = ['x86_64', 'ppc64le', 's390x', 'aarch64'];
const SAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'symbols-maps', 'sample');

const KLP_NAMES = [
  '.klp.rela.vmlinux..text',
  '.klp.rela.vmlinux.',
  '.klp.rela.a.b.c',
  '.klp.rela.',
  '.klp.rela.klpt_target..data',
  '.klp.rela.x',
];
const SYM_NAMES = [
  '.klp.sym.vmlinux.nr_processes,0',
  '.klp.sym.vmlinux.x',
  '.klp.sym.a.b.c,1',
  '.klp.sym.vmlinux.y,999999',
  '.klp.sym..,0',
];
const ALIGNS = [0n, 3n, 4096n, 0x10000n, 0x40000000n, 0x1_0000_0000n, 0x8000_0000_0000_0000n];
const TYPES = [SHT.PROGBITS, SHT.NOBITS, SHT.GROUP, SHT.RELA, SHT.REL, SHT.NOTE];

/** Apply 1-3 loader-shaped mutations through the model; the list says what. */
function mutate(elf: ElfFile, r: () => number): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const what: string[] = [];
  const rounds = 1 + Math.floor(r() * 3);
  for (let k = 0; k < rounds; k++) {
    const sections = elf.sections.filter((s) => s.index > 0);
    const s = pick(sections);
    const sym = pick(elf.symbols.filter((x) => x.index > 0));
    switch (Math.floor(r() * 6)) {
      case 0:
        s.flags |= SHF.RELA_LIVEPATCH;
        what.push(`${s.name} |= SHF_RELA_LIVEPATCH`);
        break;
      case 1: {
        const name = pick(KLP_NAMES);
        what.push(`${s.name} renamed ${name}`);
        s.name = name;
        break;
      }
      case 2:
        what.push(`${sym.name} SHN_LIVEPATCH`);
        sym.section = null;
        sym.special = SHN.LIVEPATCH;
        break;
      case 3: {
        const name = pick(SYM_NAMES);
        what.push(`${sym.name} renamed ${name}`);
        sym.name = name;
        break;
      }
      case 4: {
        const a = pick(ALIGNS);
        s.addralign = a;
        what.push(`${s.name} sh_addralign 0x${a.toString(16)}`);
        break;
      }
      default: {
        const t = pick(TYPES);
        what.push(`${s.name} sh_type ${t}`);
        s.type = t;
      }
    }
  }
  return what;
}

interface Seedling {
  label: string;
  bytes: Uint8Array;
  lookup: SymbolLookup;
}

async function seedlings(): Promise<Seedling[]> {
  const out: Seedling[] = [];
  const defined = LIVEPATCH_MAP;
  for (const arch of ARCHES) {
    const ko = await buildFixture('livepatch', arch);
    const bytes = new Uint8Array(readFileSync(ko));
    const known = new Set(Object.values(defined).flat());
    const exports = Object.fromEntries(
      [...symbolsToLookUp(parseElf(bytes, ko))].filter((n) => !known.has(n)).map((n) => [n, 'vmlinux']),
    );
    out.push({ label: `livepatch/${arch}`, bytes, lookup: memoryLookup(defined, exports) });
  }
  const ko = join(SAMPLE, 'klpt_cmdline.ko');
  const bytes = new Uint8Array(readFileSync(ko));
  const map = join(SAMPLE, readdirSync(SAMPLE).find((f) => f.startsWith('kallsyms-'))!);
  const lookup = await loadSymbolIndex(
    { maps: [map], symvers: [join(SAMPLE, 'Module.symvers.gz')] },
    symbolsToLookUp(parseElf(bytes, ko)),
  );
  out.push({ label: 'sample', bytes, lookup });
  return out;
}

describe('loader-shaped mutants end as the CLI promises', () => {
  test(`${ITERATIONS} mutants per seed module (seed ${SEED}): ` +
    `exit 3, exit 1 with located errors, or a checked output <= 4x`, async () => {
    const r = rng(SEED);
    const failures: string[] = [];
    const tally = { parse: 0, refused: 0, converted: 0, unbuildable: 0 };
    for (const seed of await seedlings()) {
      for (let i = 0; i < ITERATIONS; i++) {
        const file = `${seed.label.replace('/', '-')}-${i}.ko`;
        const model = parseElf(seed.bytes.slice(), file);
        const what = mutate(model, r);
        let bytes: Uint8Array;
        try {
          bytes = writeElf(model);
        } catch {
          tally.unbuildable++; // the model refuses the shape itself: nothing to feed the CLI
          continue;
        }
        const where = `${seed.label} #${i} (${what.join('; ')})`;
        const t0 = performance.now();
        try {
          const elf = parseElf(bytes, file);
          const result = convertElf(elf, bytes, seed.lookup, [], {});
          if (result.output.length > 4 * bytes.length)
            failures.push(`${where}: output ${result.output.length} bytes from ${bytes.length}`);
          const problems = checkLivepatchElf(parseElf(result.output, file));
          if (problems.length > 0) failures.push(`${where}: output fails check: ${problems[0]}`);
          tally.converted++;
        } catch (e) {
          if (e instanceof ElfFormatError) {
            if (!e.message.includes(file)) failures.push(`${where}: unlocated parse error: ${e.message}`);
            tally.parse++;
          } else if (e instanceof ConversionFailed) {
            const errors = e.diagnostics.filter((d) => d.severity === 'error');
            for (const d of errors) {
              if (d.internal) failures.push(`${where}: internal error: ${d.message} ${(d.notes ?? []).join(' | ')}`);
              else if (!d.message.includes(file)) failures.push(`${where}: unlocated: ${d.message}`);
            }
            tally.refused++;
          } else {
            failures.push(`${where}: ${(e as Error).name}: ${(e as Error).message}`);
          }
        }
        const ms = performance.now() - t0;
        if (ms > 10_000) failures.push(`${where}: took ${ms.toFixed(0)} ms`);
      }
    }
    console.log(`klp-shapes fuzz (seed ${SEED}): ${JSON.stringify(tally)}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(tally.refused + tally.parse, 'mutants were refused').toBeGreaterThan(0);
    expect(tally.converted, 'mutants were converted').toBeGreaterThan(0);
  }, 300_000);
});
