/**
 * One small golden case per behaviour (test/golden/behaviours/<name>/): a
 * module described for the ELF builder, the maps the CLI is given, and what
 * the CLI must produce. A case named `fails-*` is an expected failure: it
 * has an exit code and no converted module; any other case exits 0 and has
 * the converted module's readelf text.
 *
 *   module.json        ModuleSpec (test/support/elf-builder.ts)
 *   symbols.klp        -s (optional)
 *   Module.symvers     -e (optional)
 *   positions.yaml     -p (optional)
 *   options            further CLI options, one per line (optional)
 *   expected.readelf   `readelf -W -S -s -r` of the output, offsets masked (successes only)
 *   expected.stderr    what the CLI prints on stderr
 *   expected.exit      the exit code (expected failures only)
 *
 * KLPT_UPDATE_GOLDEN=1 rewrites the expected files from the current code:
 * review the diff before committing it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElf, type ModuleSpec } from './elf-builder.js';
import { readelfText } from './readelf.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BEHAVIOURS_DIR = join(ROOT, 'test', 'golden', 'behaviours');
const BIN = join(ROOT, 'bin', 'klp-convert.js');

const INPUTS = ['module.json', 'symbols.klp', 'Module.symvers', 'positions.yaml', 'options'] as const;
const EXPECTED = ['expected.readelf', 'expected.stderr', 'expected.exit'] as const;
const INPUT_FLAGS: Partial<Record<(typeof INPUTS)[number], string>> = {
  'symbols.klp': '-s',
  'Module.symvers': '-e',
  'positions.yaml': '-p',
};

/** What a case produced, or what it is expected to produce: the same shape, so they compare field by field. */
export interface BehaviourOutcome {
  /** undefined: no converted module (expected failures). */
  readelf: string | undefined;
  stderr: string;
  exit: number;
}

export function behaviourNames(): string[] {
  return readdirSync(BEHAVIOURS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function isExpectedFailure(name: string): boolean {
  return name.startsWith('fails-');
}

/** Files in a case directory that are neither an input nor an expected output (a typo would go unread). */
export function strayFiles(name: string): string[] {
  const known = new Set<string>([...INPUTS, ...EXPECTED]);
  return readdirSync(join(BEHAVIOURS_DIR, name)).filter((f) => !known.has(f));
}

export function readExpected(name: string): BehaviourOutcome {
  const dir = join(BEHAVIOURS_DIR, name);
  const opt = (f: string): string | undefined => {
    const path = join(dir, f);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  };
  const exit = opt('expected.exit');
  return {
    readelf: opt('expected.readelf'),
    stderr: opt('expected.stderr') ?? '',
    exit: exit === undefined ? 0 : Number(exit.trim()),
  };
}

/** Builds the module, runs the CLI on it in a scratch directory (so messages name only relative paths). */
export async function runBehaviour(name: string): Promise<BehaviourOutcome> {
  const dir = join(BEHAVIOURS_DIR, name);
  const work = mkdtempSync(join(tmpdir(), `klp-behaviour-${name}-`));
  const spec = JSON.parse(readFileSync(join(dir, 'module.json'), 'utf8')) as ModuleSpec;
  writeFileSync(join(work, 'module.ko'), buildElf(spec));
  const args = ['--no-auto'];
  for (const [file, flag] of Object.entries(INPUT_FLAGS)) {
    if (!existsSync(join(dir, file))) continue;
    copyFileSync(join(dir, file), join(work, file));
    args.push(flag, file);
  }
  if (existsSync(join(dir, 'options'))) {
    args.push(...readFileSync(join(dir, 'options'), 'utf8').split('\n').filter((l) => l.trim() !== ''));
  }
  const r = spawnSync(process.execPath, [BIN, ...args, 'module.ko', 'out.ko'], { cwd: work, encoding: 'utf8' });
  const out = join(work, 'out.ko');
  return {
    readelf: existsSync(out) ? await readelfText(out, ['-S', '-s', '-r'], { normalizeOffsets: true }) : undefined,
    stderr: r.stderr,
    exit: r.status ?? -1,
  };
}

/** Each way `actual` differs from `expected`, in words; [] when they agree. */
export function differences(expected: BehaviourOutcome, actual: BehaviourOutcome): string[] {
  const out: string[] = [];
  if (actual.exit !== expected.exit) out.push(`exit code: expected ${expected.exit}, got ${actual.exit}`);
  if (actual.stderr !== expected.stderr) out.push(`stderr: expected\n${expected.stderr}\ngot\n${actual.stderr}`);
  if (expected.readelf === undefined && actual.readelf !== undefined) out.push('a converted module was written');
  else if (expected.readelf !== undefined && actual.readelf === undefined) out.push('no converted module was written');
  else if (actual.readelf !== expected.readelf)
    out.push(`readelf: expected\n${expected.readelf}\ngot\n${actual.readelf}`);
  return out;
}

/** KLPT_UPDATE_GOLDEN=1: the expected files become what the code does now. */
export function writeExpected(name: string, actual: BehaviourOutcome): void {
  const dir = join(BEHAVIOURS_DIR, name);
  writeFileSync(join(dir, 'expected.stderr'), actual.stderr);
  if (actual.readelf !== undefined) writeFileSync(join(dir, 'expected.readelf'), actual.readelf);
  if (actual.exit !== 0) writeFileSync(join(dir, 'expected.exit'), `${actual.exit}\n`);
}
