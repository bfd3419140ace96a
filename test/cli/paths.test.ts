// Paths that are not what they seem, and inputs built to exhaust: a
// one-line error naming the path, exit 3, no hang, no stack trace, and
// nothing written.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePositions } from '../../src/symbols/positions.js';
import { maybeGunzip } from '../../src/symbols/read-input.js';
import { loadYamlLibrary } from '../../src/symbols/yaml-support.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'klp-convert.js');
const SAMPLE = join(ROOT, 'symbols-maps', 'sample');
const KO = join(SAMPLE, 'klpt_cmdline.ko');

let dir: string;
let maps: string[];

/** Run the CLI; a run that takes `timeout` ms (a hang, for these inputs) is killed and fails its test. */
function run(args: string[], timeout = 20_000) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout });
  return { status: r.status ?? -1, stderr: r.stderr, seconds: (Date.now() - t0) / 1000, killed: r.signal !== null };
}

/** Exit 3, one error line naming `path`, no stack trace, quickly. */
function refused(r: ReturnType<typeof run>, path: string, why: RegExp): void {
  expect(r.killed, 'did not hang').toBe(false);
  expect(r.status, r.stderr).toBe(3);
  const errors = r.stderr.split('\n').filter((l) => /^klp-convert( symbols)?: error:/.test(l));
  expect(errors, r.stderr).toHaveLength(1);
  expect(errors[0]).toContain(path);
  expect(errors[0]).toMatch(why);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/internal error/);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'klp-paths-'));
  maps = [
    '-s',
    join(
      SAMPLE,
      readdirSync(SAMPLE).find((f) => f.startsWith('kallsyms-'))!,
    ),
    '-e',
    join(SAMPLE, 'Module.symvers.gz'),
  ];
  execFileSync('mkfifo', [join(dir, 'fifo')]);
});

describe('inputs that are not regular files', () => {
  it('a directory as in.ko', () => refused(run([...maps, dir, join(dir, 'o1.ko')]), dir, /is a directory, not a regular file/));
  it('a FIFO with no writer as in.ko (would block forever)', () => refused(run([...maps, join(dir, 'fifo'), join(dir, 'o2.ko')]), join(dir, 'fifo'), /is a FIFO, not a regular file/));
  it('/dev/zero as a map (would read forever)', () => refused(run(['-s', '/dev/zero', KO, join(dir, 'o3.ko')]), '/dev/zero', /is a character device, not a regular file/));
  it('/dev/zero and a directory as `check` arguments', () => {
    refused(run(['check', '/dev/zero']), '/dev/zero', /character device/);
    refused(run(['check', dir]), dir, /is a directory/);
  });
  it('a FIFO as a positions file', () => refused(run([...maps, '-p', join(dir, 'fifo'), KO, join(dir, 'o4.ko')]), join(dir, 'fifo'), /is a FIFO/));
  it('`symbols --modules` over a directory holding a FIFO named like a module', () => {
    const tree = join(dir, 'fifo-tree');
    mkdirSync(tree);
    execFileSync('mkfifo', [join(tree, 'x.ko')]);
    refused(run(['symbols', '--modules', tree, '-o', join(dir, 'f.klps')]), join(tree, 'x.ko'), /is a FIFO, not a regular file/);
  });
  it('`symbols --modules` over a symlink loop', () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'a'), { recursive: true });
    symlinkSync('loop2', join(tree, 'a', 'loop1'));
    symlinkSync('loop1', join(tree, 'a', 'loop2'));
    symlinkSync('..', join(tree, 'a', 'up'));
    const r = run(['symbols', '--modules', tree, '-o', join(dir, 'm.klps')]);
    refused(r, join(tree, 'a', 'loop1'), /too many levels of symbolic links/);
    expect(existsSync(join(dir, 'm.klps'))).toBe(false);
  });
});

/** Whether the unprivileged user can run the CLI from this checkout (root only can switch to it). */
function nobodyCanRun(): boolean {
  if (process.getuid?.() !== 0) return false;
  return (
    spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)})`], { uid: 65534, gid: 65534 })
      .status === 0
  );
}

describe('unreadable inputs', () => {
  // Root reads everything: the case needs an unprivileged user (as root, in CI, switch to nobody).
  it.skipIf(!nobodyCanRun())('an unreadable System.map for `symbols`: permission denied, named', () => {
    const open = mkdtempSync(join(tmpdir(), 'klp-eacces-'));
    chmodSync(open, 0o755);
    const file = join(open, 'System.map');
    writeFileSync(file, 'ffffffff81000000 T x\n');
    chmodSync(file, 0o000);
    const r = spawnSync(process.execPath, [BIN, 'symbols', '--system-map', file, '-o', join(open, 'o.klps')], {
      encoding: 'utf8',
      uid: 65534,
      gid: 65534,
    });
    refused({ status: r.status ?? -1, stderr: r.stderr, seconds: 0, killed: r.signal !== null }, file, /cannot read: permission denied/);
  });
});

describe('outputs that cannot be written', () => {
  it('`symbols -o -` into a pipe the reader closed: exit 3 and a message, no stack trace', async () => {
    const ks = join(dir, 'ks.txt');
    writeFileSync(
      ks,
      Array.from({ length: 200_000 }, (_, i) => `ffffffff8${(i * 16).toString(16).padStart(7, '0')} t sym_${i}`).join(
        '\n',
      ) + '\n',
    );
    const child = spawn(process.execPath, [BIN, 'symbols', '--kallsyms', ks, '-o', '-'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(code, stderr).toBe(3);
    expect(stderr).toMatch(/klp-convert: error: standard output: the reader closed the pipe \(EPIPE\)/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
  it('--json into a directory that does not exist: refused before the module is written', () => {
    const out = join(dir, 'j1.ko');
    const json = join(dir, 'nope', 'r.json');
    refused(run([...maps, '--json', json, KO, out]), json, /no directory/);
    expect(existsSync(out)).toBe(false);
  });
  it('--json that is a directory', () => {
    const out = join(dir, 'j2.ko');
    refused(run([...maps, '--json', dir, KO, out]), dir, /it is a directory/);
    expect(existsSync(out)).toBe(false);
  });
  it('--json or out.ko that is a device: refused, never renamed over', () => {
    refused(run([...maps, '--json', '/dev/null', KO, join(dir, 'j3.ko')]), '/dev/null', /not a regular file/);
    refused(run([...maps, KO, '/dev/null']), '/dev/null', /not a regular file/);
    expect(existsSync(join(dir, 'j3.ko'))).toBe(false);
  });
  // A full file system needs a mount of its own (root, as in CI).
  it.skipIf(process.getuid?.() !== 0)('--json on a full disk: the module is written, and the error says so', () => {
    const full = join(dir, 'full');
    mkdirSync(full);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    try {
      spawnSync('dd', ['if=/dev/zero', `of=${join(full, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
      const out = join(dir, 'written.ko');
      const json = join(full, 'report.json');
      refused(run([...maps, '--json', json, KO, out]), json, new RegExp(`${out.replace(/[.]/g, '\\.')} was written, but the JSON report .* could not be written: .*(no space|ENOSPC)`, 'i'));
      expect(existsSync(out)).toBe(true);
    } finally {
      execFileSync('umount', [full]);
    }
  });
  it('out.ko in a directory that does not exist', () => refused(run([...maps, KO, join(dir, 'nope', 'o.ko')]), join(dir, 'nope', 'o.ko'), /no directory/));
});

describe('inputs built to exhaust', () => {
  it('a gzip bomb stops at the limit with the file named', () => {
    // 4 MiB of zeros in 4 concatenated gzip members, against a 2 MiB limit.
    const member = gzipSync(Buffer.alloc(1 << 20));
    const bomb = Buffer.concat([member, member, member, member]);
    expect(() => maybeGunzip(bomb, 'bomb.gz', 2 << 20)).toThrow(/^bomb\.gz:0: decompresses to more than 2 MiB; no symbol map is that large$/);
    expect(maybeGunzip(bomb, 'bomb.gz', 8 << 20).length).toBe(4 << 20);
  });
  it('a 300 MiB System.map for `symbols`: refused by size, not a failed string conversion', () => {
    const file = join(dir, 'huge.map');
    execFileSync('truncate', ['-s', '300M', file]); // sparse: no disk used
    refused(run(['symbols', '--system-map', file, '-o', join(dir, 'h.klps')]), file, /300 MiB is larger than any kallsyms dump or System\.map/);
    expect(existsSync(join(dir, 'h.klps'))).toBe(false);
  });
  it('a 20 MiB YAML map: refused by size before the YAML parser takes gigabytes', () => {
    const file = join(dir, 'big.yaml');
    const line = '    - ' + 'x'.repeat(60) + '\n';
    writeFileSync(
      file,
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n' + line.repeat(Math.ceil((20 << 20) / line.length)),
    );
    refused(run(['-s', file, KO, join(dir, 'y.ko')]), file, /MiB of YAML is more than a hand-written file holds/);
  });
  it('deeply nested YAML: a located error, not a stack overflow', () => {
    const file = join(dir, 'deep.yaml');
    writeFileSync(file, `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    refused(run([...maps, '-p', file, KO, join(dir, 'd.ko')]), file, /YAML error/);
  });
  it('a positions file of 40,000 entries is read in linear time', async () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => `name_${i}: { object: vmlinux, position: 1 }`);
    await loadYamlLibrary();
    const time = (n: number) => {
      const text = entries(n).join('\n') + '\n';
      const t0 = performance.now();
      expect(parsePositions(text, 'many.yaml')).toHaveLength(n);
      return performance.now() - t0;
    };
    time(2_000); // warm up
    const t10 = time(10_000);
    const t40 = time(40_000);
    // Linear: about 4x; the yaml package's pairwise duplicate check made it about 16x.
    expect(t40 / t10, `10,000 keys ${t10.toFixed(0)} ms, 40,000 keys ${t40.toFixed(0)} ms`).toBeLessThan(8);
    const file = join(dir, 'many.yaml');
    const lines = entries(40_000);
    writeFileSync(file, lines.join('\n') + '\n');
    // 40,000 YAML entries take a second or two; a CI machine under load took over 20 s (issue 10's
    // session 4), so these two runs get more time: linearity is measured above, not here.
    const r = run([...maps, '-n', '-p', file, KO, join(dir, 'm.ko')], 100_000);
    expect(r.status, r.stderr).toBe(0);
    // Duplicates are still found, with their line.
    writeFileSync(file, [...lines, 'name_7: { object: vmlinux }'].join('\n') + '\n');
    const dup = run([...maps, '-n', '-p', file, KO, join(dir, 'm.ko')], 100_000);
    refused(dup, file, /many\.yaml:40001: YAML error: Map keys must be unique/);
  }, 300_000);
});
