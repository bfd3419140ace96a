// e2e harness: runs the shell steps (build, initramfs, qemu boot) and parses
// what the guest reported on its results port (see guest/init, guest/klpt.sh).
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const E2E_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = resolve(E2E_DIR, '../..');

/** KLP_E2E=0 skips the e2e tests (visibly); anything else runs them. */
export const E2E_ENABLED = process.env.KLP_E2E !== '0';

/** The cells of the matrix (lib/common.sh lists the same). */
export const ALL_CELLS = ['x86_64-6.1', 'x86_64-6.12', 'ppc64le-6.1', 's390x-6.1'] as const;
export type CellId = (typeof ALL_CELLS)[number];

/** The cells $KERNELS names (spaces or commas), else all; an unknown name throws. */
export function selectedCells(kernels = process.env.KERNELS): CellId[] {
  const names = (kernels ?? '').split(/[\s,]+/).filter((n) => n !== '');
  if (names.length === 0) return [...ALL_CELLS];
  for (const n of names) {
    if (!(ALL_CELLS as readonly string[]).includes(n))
      throw new Error(`unknown cell '${n}' in KERNELS (cells: ${ALL_CELLS.join(' ')})`);
  }
  return names as CellId[];
}

export interface E2EEnv {
  cell: CellId;
  /** x86_64, ppc64le or s390x. */
  arch: string;
  /** The kernel release (uname -r), as setup.sh resolved it; '' when the cell is not set up. */
  kver: string;
  /** `<arch> <release>`: the prefix of every check of the cell. */
  label: string;
  kdir: string;
  image: string;
  /** Where the kernel came from (Debian package and version, or our own build). */
  source: string;
  buildDir: string;
  cacheDir: string;
  /** The qemu binary of the cell. */
  qemu: string;
}

const QEMU: Record<string, string> = {
  x86_64: 'qemu-system-x86_64',
  ppc64le: 'qemu-system-ppc64',
  s390x: 'qemu-system-s390x',
};

/** Parse the `KEY=value` lines (printf %q quoting) setup.sh writes to cell.env. */
export function parseCellEnv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Z_]+)=(.*)$/);
    if (!m) continue;
    let v = m[2]!;
    if (v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1);
    else v = v.replace(/\\(.)/g, '$1');
    out.set(m[1]!, v);
  }
  return out;
}

/** What setup.sh resolved for a cell (empty fields when it has not run). */
export function e2eEnv(cell: CellId = 'x86_64-6.1'): E2EEnv {
  const cacheRoot = process.env.KLP_E2E_CACHE ?? join(REPO_DIR, '.cache/e2e');
  const buildRoot = process.env.KLP_E2E_BUILD ?? join(REPO_DIR, 'build/e2e');
  const cacheDir = join(cacheRoot, cell);
  const envFile = join(cacheDir, 'cell.env');
  const vars = existsSync(envFile) ? parseCellEnv(readFileSync(envFile, 'utf8')) : new Map<string, string>();
  const arch = cell.replace(/-.*$/, '');
  const kver = vars.get('CELL_RELEASE') ?? '';
  return {
    cell,
    arch,
    kver,
    label: `${arch} ${kver || `${cell.replace(/^[^-]*-/, '')} (not set up)`}`,
    kdir: vars.get('KDIR') ?? '',
    image: vars.get('IMAGE') ?? '',
    source: vars.get('CELL_SOURCE') ?? '',
    buildDir: join(buildRoot, cell),
    cacheDir,
    qemu: QEMU[arch] ?? `qemu-system-${arch}`,
  };
}

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

/** What is missing to run a cell (empty when all is there). */
export function missingPrerequisites(env: E2EEnv): string[] {
  const missing: string[] = [];
  if (!env.kver) missing.push(`cell ${env.cell} not set up (${join(env.cacheDir, 'cell.env')} missing)`);
  else {
    if (!existsSync(env.image)) missing.push(`kernel image ${env.image}`);
    if (!existsSync(join(env.kdir, 'Makefile'))) missing.push(`kernel build directory ${env.kdir}`);
  }
  for (const cmd of [env.qemu, 'busybox', 'make', 'gcc', 'objcopy', 'timeout', 'gzip']) {
    if (!onPath(cmd)) missing.push(`command '${cmd}'`);
  }
  return missing;
}

export function prerequisiteMessage(env: E2EEnv, missing: string[]): string {
  return (
    `${env.label}: e2e prerequisites missing: ${missing.join('; ')}.\n` +
    `Run test/e2e/setup.sh as root (\`make e2e\` does; KERNELS=${env.cell} for this cell alone), ` +
    'or set KLP_E2E=0 to skip the e2e tests.'
  );
}

export interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run a command; never throws (look at .code). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<StepResult> {
  const start = process.hrtime.bigint();
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_DIR,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = (code: number) =>
      resolvePromise({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - start) / 1e9 });
    child.on('error', (e) => {
      stderr += String(e);
      done(127);
    });
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

/** Run the klp-convert CLI of this checkout (bin/klp-convert.js); never throws (look at .code). */
export function klpConvert(args: string[]): Promise<StepResult> {
  return run(process.execPath, [join(REPO_DIR, 'bin/klp-convert.js'), ...args]);
}

/** Run one of the e2e shell scripts; throws with its output on failure. */
export async function step(script: string, args: string[], env?: Record<string, string>): Promise<StepResult> {
  const r = await run(join(E2E_DIR, script), args, env ? { env } : {});
  if (r.code !== 0) {
    throw new Error(`test/e2e/${script} ${args.join(' ')} failed (exit ${r.code}):\n${tail(r.stderr + r.stdout, 60)}`);
  }
  return r;
}

export function tail(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}

// ---------------------------------------------------------------------------
// Results of a boot

export interface BootInfo {
  cell?: string;
  accel: string;
  exit: number;
  timedOut: boolean;
  seconds: number;
}

export interface Scenario {
  name: string;
  lines: string[];
  rc: number | null;
}

export interface BootResult {
  dir: string;
  info: BootInfo;
  lines: string[];
  scenarios: Map<string, Scenario>;
  done: boolean;
  bootCmdline: string;
  release: string;
  /** Lines between KLPT-BEGIN-KALLSYMS and KLPT-END-KALLSYMS, if any. */
  kallsymsDump: string[] | null;
  dumpError: string | null;
  console: string;
}

export function readBoot(dir: string): BootResult {
  const info = JSON.parse(readFileSync(join(dir, 'boot.json'), 'utf8')) as BootInfo;
  const text = existsSync(join(dir, 'results.log')) ? readFileSync(join(dir, 'results.log'), 'latin1') : '';
  const all = text.replace(/\r/g, '').split('\n');
  const lines: string[] = [];
  const scenarios = new Map<string, Scenario>();
  let current: Scenario | null = null;
  let dump: string[] | null = null;
  let inDump = false;
  let encoded: string[] = [];
  let dumpEncoding = 'plain';
  let dumpError: string | null = null;
  let done = false;
  let bootCmdline = '';
  let release = '';
  for (const line of all) {
    if (inDump) {
      if (line === 'KLPT-END-KALLSYMS') {
        inDump = false;
        try {
          dump = decodeDump(encoded, dumpEncoding);
        } catch (e) {
          dumpError = `kallsyms dump (${dumpEncoding}) unreadable: ${(e as Error).message}`;
        }
      } else encoded.push(line);
      continue;
    }
    const begin = line.match(/^KLPT-BEGIN-KALLSYMS(?: (\S+))?$/);
    if (begin) {
      inDump = true;
      dumpEncoding = begin[1] ?? 'plain';
      encoded = [];
      continue;
    }
    lines.push(line);
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^KLPT-SCENARIO-BEGIN (\S+)$/))) {
      current = { name: m[1]!, lines: [], rc: null };
      scenarios.set(current.name, current);
    } else if ((m = line.match(/^KLPT-SCENARIO-END (\S+) rc=(\d+)$/)) && current) {
      current.rc = Number(m[2]);
      current = null;
    } else if (line.startsWith('KLPT-DONE')) {
      done = true;
    } else if ((m = line.match(/^KLPT-BOOT-CMDLINE (.*)$/))) {
      bootCmdline = m[1]!;
    } else if ((m = line.match(/^KLPT-BOOT release=(\S+)/))) {
      release = m[1]!;
    } else if (current) {
      current.lines.push(line);
    }
  }
  const consoleLog = existsSync(join(dir, 'console.log')) ? readFileSync(join(dir, 'console.log'), 'latin1').replace(/\r/g, '') : '';
  if (inDump) dumpError = 'kallsyms dump cut short (no KLPT-END-KALLSYMS)';
  return {
    dir,
    info,
    lines,
    scenarios,
    done,
    bootCmdline,
    release,
    kallsymsDump: dump,
    dumpError,
    console: consoleLog,
  };
}

/** The kallsyms dump's lines; gzip-base64 is checked by gzip's CRC. */
function decodeDump(encoded: string[], encoding: string): string[] {
  let text: string;
  if (encoding === 'plain') text = encoded.join('\n');
  else if (encoding === 'gzip-base64') text = gunzipSync(Buffer.from(encoded.join(''), 'base64')).toString('latin1');
  else throw new Error(`unknown kallsyms dump encoding '${encoding}'`);
  return text.split('\n').filter((l) => l !== '');
}

/** A scenario's lines, or an error saying how the boot ended instead. */
export function scenario(boot: BootResult | undefined, name: string): Scenario {
  if (!boot) throw new Error(`no boot ran scenario '${name}' (an earlier step failed)`);
  const s = boot.scenarios.get(name);
  const why = () =>
    `boot in ${boot.dir}: qemu exit ${boot.info.exit}${boot.info.timedOut ? ' (timed out)' : ''}, ` +
    `results ${boot.done ? 'complete' : 'incomplete'}; console tail:\n${tail(boot.console, 25)}`;
  if (!s) throw new Error(`scenario '${name}' did not start; ${why()}`);
  if (s.rc === null) throw new Error(`scenario '${name}' did not finish (guest died?); ${why()}`);
  return s;
}

// ---------------------------------------------------------------------------
// Line parsers

export interface KallsymsLine {
  addr: bigint;
  type: string;
  name: string;
  module: string | null;
}

/** Parse "addr type name[ [module]]" (tab or space before the module). */
export function parseKallsymsLine(line: string): KallsymsLine | null {
  const m = line.match(/^([0-9a-f]+) (\S) (\S+)(?:[ \t]\[(\S+)\])?$/);
  return m ? { addr: BigInt('0x' + m[1]), type: m[2]!, name: m[3]!, module: m[4] ?? null } : null;
}

/** The KLPT-KALLSYMS lines of a block, in kallsyms order. */
export function kallsyms(lines: string[]): KallsymsLine[] {
  return lines
    .filter((l) => l.startsWith('KLPT-KALLSYMS '))
    .map((l) => parseKallsymsLine(l.slice('KLPT-KALLSYMS '.length)))
    .filter((k): k is KallsymsLine => k !== null);
}

/** Entries of one name in one object (module name, or null for vmlinux), in kallsyms order. */
export function kallsymsOf(ks: KallsymsLine[], name: string, module: string | null = null): KallsymsLine[] {
  return ks.filter((k) => k.name === name && k.module === module);
}

/** KLPT-ADDR <module> <name>=<addr> (from the kernel log). */
export function addrs(lines: string[], module: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const l of lines) {
    const m = l.match(/KLPT-ADDR (\S+) (\S+)=([0-9a-f]+)$/);
    if (m && m[1] === module) out.set(m[2]!, BigInt('0x' + m[3]));
  }
  return out;
}

/** KLPT-VALUE <module> <name>=<text>. */
export function values(lines: string[], module: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of lines) {
    const m = l.match(/KLPT-VALUE (\S+) ([^=\s]+)=(.*)$/);
    if (m && m[1] === module) out.set(m[2]!, m[3]!);
  }
  return out;
}

/** The lines of KLPT-CAT <tag>. */
export function cat(lines: string[], tag: string): string[] {
  const prefix = `KLPT-CAT ${tag} `;
  return lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

/** KLPT-INSMOD <path> rc=<n>, in order. */
export function insmods(lines: string[]): { path: string; name: string; rc: number }[] {
  const out: { path: string; name: string; rc: number }[] = [];
  for (const l of lines) {
    const m = l.match(/^KLPT-INSMOD (\S+) rc=(\d+)$/);
    if (m) out.push({ path: m[1]!, name: m[1]!.replace(/^.*\//, '').replace(/\.ko$/, ''), rc: Number(m[2]) });
  }
  return out;
}

/** Kernel log lines (without the KLPT-DMESG prefix and timestamp). */
export function dmesg(lines: string[]): string[] {
  return lines
    .filter((l) => l.startsWith('KLPT-DMESG '))
    .map((l) => l.slice('KLPT-DMESG '.length).replace(/^\[[ \d.]+\] /, ''));
}

/**
 * Split lines into chunks that start at "<marker> <value>" lines: a Map from
 * value to the lines up to the next marker line.
 */
export function chunks(lines: string[], marker: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | null = null;
  for (const l of lines) {
    if (l.startsWith(marker + ' ')) {
      cur = [];
      out.set(l.slice(marker.length + 1), cur);
    } else if (cur) {
      cur.push(l);
    }
  }
  return out;
}

export function hex(v: bigint | undefined): string {
  return v === undefined ? '(none)' : v.toString(16).padStart(16, '0');
}

/** Exported symbols of a Module.symvers (name -> module). */
export function readSymvers(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split('\t');
    if (f.length >= 4 && f[1]) out.set(f[1], f[2] ?? '');
  }
  return out;
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

export function fileSize(file: string): number {
  return statSync(file).size;
}
