// klp-convert with no maps given: it finds the module's kernel's maps where
// kbuild and distributions keep them (KLP_CONVERT_SYSROOT stands for /), and
// with none anywhere converts what the source annotates.  And the
// suggestions of an error about a name no map has.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseElf } from '../../src/elf/index.js';
import { moduleRelease } from '../../src/convert/kernel-inputs.js';
import { buildFixture } from '../support/fixtures.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'klp-convert.js');
const SAMPLE = join(ROOT, 'symbols-maps', 'sample');

function run(args: string[], env: Record<string, string> = {}): { status: number; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stderr: r.stderr };
}

let dir: string;
let ko: string;
let release: string;
let kallsyms: string;
let symvers: string;

/** A root with the module's kernel's files in the places the tool looks. */
function sysroot(parts: {
  build?: Record<string, string>;
  boot?: string;
  proc?: { release: string; kallsyms: string };
}): string {
  const root = mkdtempSync(join(dir, 'root-'));
  const build = join(root, 'lib/modules', release, 'build');
  mkdirSync(build, { recursive: true });
  for (const [name, text] of Object.entries(parts.build ?? {})) writeFileSync(join(build, name), text);
  if (parts.boot) {
    mkdirSync(join(root, 'boot'));
    writeFileSync(join(root, 'boot', `System.map-${release}`), parts.boot);
  }
  if (parts.proc) {
    mkdirSync(join(root, 'proc/sys/kernel'), { recursive: true });
    writeFileSync(join(root, 'proc/sys/kernel/osrelease'), `${parts.proc.release}\n`);
    writeFileSync(join(root, 'proc/kallsyms'), parts.proc.kallsyms);
  }
  return root;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'klp-auto-'));
  ko = join(dir, 'sample.ko');
  copyFileSync(join(SAMPLE, 'klpt_cmdline.ko'), ko);
  release = moduleRelease(parseElf(readFileSync(ko), ko))!;
  const map = readFileSync(join(SAMPLE, `kallsyms-${release}.txt.gz`));
  kallsyms = gunzipSync(map).toString('latin1');
  symvers = gunzipSync(readFileSync(join(SAMPLE, 'Module.symvers.gz'))).toString('latin1');
});

describe('klp-convert in.ko out.ko with no options', () => {
  it("reads the module's kernel release from its vermagic", () => {
    expect(release).toMatch(/^6\.1\.0-\d+-cloud-amd64$/);
  });

  it('uses the build directory and the running kernel’s /proc/kallsyms, and says so in one line', () => {
    const root = sysroot({ build: { 'Module.symvers': symvers }, proc: { release, kallsyms } });
    const out = join(dir, 'auto.ko');
    const r = run([ko, out], { KLP_CONVERT_SYSROOT: root });
    const symversPath = `${root}/lib/modules/${release}/build/Module.symvers`;
    expect(r.stderr, r.stderr).toContain(
      `sample.ko is for kernel ${release}: using ${symversPath}, ${root}/proc/kallsyms (--no-auto`,
    );
    expect(r.stderr).toMatch(/converted \d+ relocations to 2 symbols in vmlinux/);
    expect(r.status).toBe(0);
    // The same bytes as with the maps given by hand.
    const byHand = join(dir, 'by-hand.ko');
    const maps = ['-s', join(SAMPLE, `kallsyms-${release}.txt.gz`), '-e', join(SAMPLE, 'Module.symvers.gz')];
    expect(run([...maps, ko, byHand]).status).toBe(0);
    expect(readFileSync(out).equals(readFileSync(byHand))).toBe(true);
  });

  it("skips Debian's System.map stub and another kernel's /proc/kallsyms; takes a real /boot/System.map", () => {
    const stub = 'ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n';
    const build = { 'Module.symvers': symvers, 'System.map': stub };
    const onlyStub = sysroot({ build, proc: { release: '6.1.0-1-other', kallsyms } });
    const r1 = run([ko, join(dir, 'stub.ko')], { KLP_CONVERT_SYSROOT: onlyStub });
    expect(r1.stderr).toContain(`using ${onlyStub}/lib/modules/${release}/build/Module.symvers (--no-auto`);
    expect(r1.stderr).toMatch(/symbol 'saved_command_line' is not exported and is in no symbol map/);
    expect(r1.status).toBe(1);
    const withBoot = sysroot({ build, boot: kallsyms });
    const r2 = run([ko, join(dir, 'boot.ko')], { KLP_CONVERT_SYSROOT: withBoot });
    expect(r2.stderr).toContain(
      `using ${withBoot}/lib/modules/${release}/build/Module.symvers, ${withBoot}/boot/System.map-${release}`,
    );
    expect(r2.status).toBe(0);
  });

  it('with nothing anywhere, converts the annotated symbols, leaves the rest to the loader, warns once', async () => {
    const annotated = join(dir, 'annotated.ko');
    copyFileSync(await buildFixture('annotated', 'x86_64'), annotated);
    const out = join(dir, 'annotated.out.ko');
    const r = run(['--no-auto', annotated, out]);
    expect(r.status, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter(
      (l) => l.startsWith('klp-convert: warning:') && l.includes('no symbol map or Module.symvers was found'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/stay ordinary: .*nr_processes/);
    const symbols = parseElf(readFileSync(out), out).symbols.map((s) => s.name);
    expect(symbols).toContain('.klp.sym.vmlinux.saved_command_line,0');
    expect(symbols).toContain('.klp.sym.vmlinux.m_show,2');
    expect(symbols).toContain('nr_processes');
  });

  it('says when the module names no kernel, and what it looked for when nothing is there', () => {
    const empty = sysroot({});
    const r = run([ko, join(dir, 'none.ko')], { KLP_CONVERT_SYSROOT: empty });
    const buildDir = `${empty}/lib/modules/${release}/build`;
    expect(r.stderr).toContain(
      `is for kernel ${release}: found no Module.symvers or symbol map (looked in ${buildDir}`,
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/stay ordinary: .*nr_processes.*saved_command_line|stay ordinary: .*saved_command_line.*nr_processes/);
  });
});

describe('suggestions for a name no map has', () => {
  it('lists compiler clones (with a calling-convention warning) and close names, with object and position', () => {
    // The sample's map without nr_processes and saved_command_line, but with
    // clones of the one and a near miss of the other.
    const lines = kallsyms.split('\n').filter((l) => !/ (nr_processes|saved_command_line)$/.test(l));
    lines.push(
      'ffffffff81234560 t nr_processes.isra.0',
      'ffffffff81234580 t nr_processes.constprop.0.cold',
      'ffffffff82345670 b saved_command_lines',
    );
    const map = join(dir, 'clones.txt');
    writeFileSync(map, lines.join('\n') + '\n');
    const out = join(dir, 'clones.ko');
    const r = run(['-s', map, '-e', join(SAMPLE, 'Module.symvers.gz'), ko, out]);
    expect(r.status).toBe(1);
    expect(existsSync(out)).toBe(false);
    const err = r.stderr;
    expect(err).toMatch(/symbol 'nr_processes' is not exported and is in no symbol map \[KLP030\]\n( {2}.*\n)* {2}the maps have compiler clones of 'nr_processes'/);
    expect(err).toMatch(/ {4}nr_processes\.constprop\.0\.cold in vmlinux, position 0, type t \(.*clones\.txt:\d+\)/);
    expect(err).toMatch(/ {4}nr_processes\.isra\.0 in vmlinux, position 0, type t \(.*clones\.txt:\d+\)/);
    expect(err).toContain("warning: a clone's calling convention may differ from the source");
    expect(err).toMatch(/symbol 'saved_command_line' is not exported and is in no symbol map \[KLP030\]\n( {2}.*\n)* {2}did you mean:\n {4}saved_command_lines in vmlinux, position 0, type b/);
  });
});
