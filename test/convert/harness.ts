import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf } from '../../src/elf/index.js';
import { type ConversionResult, convertElf } from '../../src/convert/convert.js';
import { ConversionFailed, type Diagnostic, detailLines } from '../../src/convert/diagnostics.js';
import type { PlanOptions } from '../../src/convert/plan.js';
import type { PositionHintInput, SymbolLookup } from '../../src/convert/symbol-source.js';
import { type Arch, buildFixture } from '../support/fixtures.js';

export const scratch = mkdtempSync(join(tmpdir(), 'klp-convert-test-'));

export interface Converted {
  input: string;
  inputBytes: Uint8Array;
  output: string;
  result: ConversionResult;
}

let counter = 0;

/** Build a fixture, convert it in memory, write the result to a scratch file for readelf. */
export async function convertFixture(
  name: string,
  arch: Arch,
  lookup: SymbolLookup,
  hints: PositionHintInput[] = [],
  opts: PlanOptions = {},
): Promise<Converted> {
  const input = await buildFixture(name, arch);
  const inputBytes = readFileSync(input);
  const result = convertElf(parseElf(inputBytes, input), inputBytes, lookup, hints, opts);
  const output = join(scratch, `${name}-${arch}-${counter++}.ko`);
  writeFileSync(output, result.output);
  return { input, inputBytes, output, result };
}

/** Convert and expect failure; returns the diagnostics. */
export async function failingConversion(...args: Parameters<typeof convertFixture>): Promise<Diagnostic[]> {
  const [name, arch] = args;
  try {
    await convertFixture(...args);
  } catch (e) {
    if (e instanceof ConversionFailed) return e.diagnostics;
    throw e;
  }
  throw new Error(`converting ${name} (${arch}) unexpectedly succeeded`);
}

export function errorsOf(diags: Diagnostic[]): string[] {
  return diags.filter((d) => d.severity === 'error').map((d) => [d.message, ...detailLines(d)].join('\n'));
}

export function hint(name: string, h: Omit<PositionHintInput, 'name' | 'origin'>, line = 1): PositionHintInput {
  return { name, ...h, origin: { file: 'positions.yaml', line } };
}
