/**
 * (e) Seeded fuzzing: random bit flips, byte overwrites, field overwrites
 * (aimed at the ELF header, section headers, symbols and relocations) and
 * truncations of the fixtures. Each mutant must either be refused with an
 * ElfFormatError, or parse, write back byte for byte and parse again. Any
 * other exception (TypeError, RangeError, ElfModelError, ...) or a changed
 * round trip is a failure, reported with the seed and the mutation so that
 * it can be replayed:
 *
 *   KLPT_FUZZ_SEED=<seed> KLPT_FUZZ_ITERATIONS=<n> npx vitest run test/elf/fuzz.test.ts
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { ElfFormatError, parseElf, writeElf } from '../../src/elf/index.js';
import { type ElfShape, describeOffset, elfShape, writeUint } from '../support/elf-bytes.js';
import { ARCHES, buildFixture } from '../support/fixtures.js';
import { rng } from '../support/rng.js';
import { firstDifference } from './helpers.js';

const SEED = Number(process.env.KLPT_FUZZ_SEED ?? 0x6b6c7031);
const ITERATIONS = Number(process.env.KLPT_FUZZ_ITERATIONS ?? 600);
/** Fixtures to mutate (the xindex one is 5-7 MB: too slow to copy thousands of times). */
const NAMES = ['livepatch', 'annotated', 'extern', 'target'];

const INTERESTING = [
  0n,
  1n,
  2n,
  3n,
  4n,
  7n,
  8n,
  0x10n,
  0x40n,
  0x7fn,
  0x80n,
  0xffn,
  0x100n,
  0xff00n,
  0xff20n,
  0xfff1n,
  0xfffen,
  0xffffn,
  0x10000n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x1_0000_0000n,
  0x7fff_ffff_ffff_ffffn,
  0xffff_ffff_ffff_ffffn,
];

interface Mutant {
  bytes: Uint8Array;
  what: string[];
}

function mutate(src: Uint8Array, shape: ElfShape, r: () => number): Mutant {
  const pick = (n: number) => Math.floor(r() * n);
  let b = src.slice();
  const what: string[] = [];
  const rounds = 1 + pick(3);
  for (let k = 0; k < rounds; k++) {
    const kind = pick(6);
    if (kind === 0) {
      const at = pick(b.length);
      const bit = pick(8);
      b[at]! ^= 1 << bit;
      what.push(`flip bit ${bit} at 0x${at.toString(16)}`);
    } else if (kind === 1) {
      const at = pick(b.length);
      const v = pick(256);
      b[at] = v;
      what.push(`byte 0x${at.toString(16)} = 0x${v.toString(16)}`);
    } else if (kind === 2) {
      // A header field.
      const names = Object.keys(shape.field) as (keyof ElfShape['field'])[];
      const f = names[pick(names.length)]!;
      const width =
        f === 'entry' || f === 'phoff' || f === 'shoff'
          ? shape.is64
            ? 8
            : 4
          : f === 'version' || f === 'flags'
            ? 4
            : 2;
      const v = r() < 0.5 ? INTERESTING[pick(INTERESTING.length)]! : BigInt(pick(b.length + 64));
      writeUint(b, shape.field[f], width as 2 | 4 | 8, shape.le, v);
      what.push(`e_${f} = 0x${BigInt.asUintN(width * 8, v).toString(16)}`);
    } else if (kind === 3) {
      // A section header field.
      const s = shape.sections[pick(shape.sections.length)]!;
      const names = Object.keys(shape.shField) as (keyof ElfShape['shField'])[];
      const f = names[pick(names.length)]!;
      const width = f === 'name' || f === 'type' || f === 'link' || f === 'info' ? 4 : shape.is64 ? 8 : 4;
      const v = r() < 0.5 ? INTERESTING[pick(INTERESTING.length)]! : BigInt(pick(Math.max(b.length, shape.shnum) + 16));
      writeUint(b, s.at + shape.shField[f], width as 4 | 8, shape.le, v);
      what.push(`[${s.index}] ${s.name} sh_${f} = 0x${BigInt.asUintN(width * 8, v).toString(16)}`);
    } else if (kind === 4) {
      // A field inside a symbol, relocation or group entry: somewhere in a table section.
      const tables = shape.sections.filter((s) => s.entsize > 0 && s.size > 0 && s.offset + s.size <= b.length);
      const s = tables[pick(tables.length)];
      if (!s) continue;
      const entry = pick(Math.max(1, Math.floor(s.size / s.entsize)));
      const off = s.offset + entry * s.entsize + 4 * pick(Math.max(1, Math.floor(s.entsize / 4)));
      if (off + 4 > b.length) continue;
      const v = r() < 0.5 ? INTERESTING[pick(INTERESTING.length)]! & 0xffff_ffffn : BigInt(pick(0x10000));
      writeUint(b, off, 4, shape.le, v);
      what.push(`${s.name}[${entry}] word at 0x${off.toString(16)} = 0x${v.toString(16)}`);
    } else {
      const len = pick(b.length);
      b = b.slice(0, len);
      what.push(`truncate to 0x${len.toString(16)}`);
      break;
    }
  }
  return { bytes: b, what };
}

/** Where the first difference is, in terms of the mutated input's structure. */
function locateDifference(a: Uint8Array, b: Uint8Array): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  try {
    return ` [${i >= a.length ? 'past the end of the input' : describeOffset(elfShape(a), i)}]`;
  } catch {
    return '';
  }
}

describe('fuzz', () => {
  test(`${ITERATIONS} mutants per arch (seed ${SEED}): ElfFormatError or an exact round trip`, async () => {
    const inputs: { label: string; bytes: Uint8Array; shape: ElfShape }[] = [];
    for (const arch of ARCHES) {
      for (const name of NAMES) {
        const bytes = new Uint8Array(await readFile(await buildFixture(name, arch)));
        inputs.push({ label: `${arch}/${name}`, bytes, shape: elfShape(bytes) });
      }
    }
    const r = rng(SEED);
    const failures: string[] = [];
    const outcomes = { refused: 0, roundTripped: 0 };
    const total = ITERATIONS * ARCHES.length;
    for (let i = 0; i < total; i++) {
      const input = inputs[Math.floor(r() * inputs.length)]!;
      const m = mutate(input.bytes, input.shape, r);
      const where = `seed ${SEED} iteration ${i} ${input.label}: ${m.what.join('; ')}`;
      let parsed;
      try {
        parsed = parseElf(m.bytes, 'fuzz.ko');
      } catch (err) {
        if (err instanceof ElfFormatError && err.file === 'fuzz.ko' && typeof err.offset === 'number')
          outcomes.refused++;
        else failures.push(`${where}\n    parse threw ${(err as Error).name}: ${(err as Error).message}`);
        continue;
      }
      try {
        const out = writeElf(parsed);
        const d = firstDifference(m.bytes, out);
        if (d) {
          failures.push(
            `${where}\n    accepted but the round trip changed the file: ${d}${locateDifference(m.bytes, out)}`,
          );
          continue;
        }
        parseElf(out, 'fuzz-out.ko');
        outcomes.roundTripped++;
      } catch (err) {
        failures.push(
          `${where}\n    accepted, then write/re-parse threw ${(err as Error).name}: ${(err as Error).message}`,
        );
      }
    }
    console.log(
      `[fuzz] seed ${SEED}: ${total} mutants, ${outcomes.refused} refused, ` +
        `${outcomes.roundTripped} round-tripped, ${failures.length} failures`,
    );
    expect(
      failures.slice(0, Number(process.env.KLPT_FUZZ_SHOW ?? 15)),
      `${failures.length} of ${total} mutants broke the contract (replay with KLPT_FUZZ_SEED=${SEED})`,
    ).toEqual([]);
    // The mutator must exercise both outcomes, or it tests nothing.
    expect(outcomes.refused).toBeGreaterThan(total / 10);
    expect(outcomes.roundTripped).toBeGreaterThan(total / 20);
  });
});
