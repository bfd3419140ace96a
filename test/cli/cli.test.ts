import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { LIVEPATCH_EXPORTS, LIVEPATCH_MAP, symbolDataText, symversText } from '../support/fixture-symbols.js';
import { buildFixture } from '../support/fixtures.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'klp-convert.js');

function run(args: string[], cwd?: string): { status: number; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  return { status: r.status ?? -1, stderr: r.stderr, stdout: r.stdout };
}

// The fixture's map as upstream's tools write it (with the __ksymtab_ lines of the exports), and its Module.symvers.
const MAP = symbolDataText({
  vmlinux: [
    ...LIVEPATCH_MAP.vmlinux,
    '__ksymtab__printk', '_printk', '__ksymtab_pv_ops', '__ksymtab_avenrun', '__ksymtab_klp_enable_patch',
  ],
  klpt_target: LIVEPATCH_MAP.klpt_target,
});
const SYMVERS = symversText(LIVEPATCH_EXPORTS);

let dir: string;
let ko: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'klp-cli-'));
  ko = join(dir, 'in.ko');
  copyFileSync(await buildFixture('livepatch', 'x86_64'), ko);
  writeFileSync(join(dir, 'symbols.klp'), MAP);
  writeFileSync(join(dir, 'Module.symvers'), SYMVERS);
});

const maps = (): string[] => ['-s', join(dir, 'symbols.klp'), '-e', join(dir, 'Module.symvers')];

describe('klp-convert CLI', () => {
  it('converts, prints a one-line summary, and exits 0', () => {
    const out = join(dir, 'out.ko');
    const r = run([...maps(), ko, out]);
    expect(r.stderr).toMatch(/^klp-convert: converted \d+ relocations to 12 symbols in vmlinux, klpt_target \(.*out\.ko\)$/m);
    expect(r.status).toBe(0);
    expect(existsSync(out)).toBe(true);
    // Same input, same bytes.
    const out2 = join(dir, 'out2.ko');
    expect(run([...maps(), ko, out2]).status).toBe(0);
    expect(readFileSync(out2).equals(readFileSync(out))).toBe(true);
  });

  it('lists every decision with --verbose, and only then', () => {
    const verbose = run(['-v', '--dry-run', ...maps(), ko, join(dir, 'unwritten.ko')]);
    expect(verbose.status, verbose.stderr).toBe(0);
    const decisions = verbose.stderr.split('\n').filter((l) => /^ {2}[^\s:]+( -> \.klp\.sym\.|: kept ordinary, )/.test(l));
    // The twelve converted symbols (as the summary counts them) and the exported ones kept ordinary.
    expect(decisions.filter((l) => l.includes(' -> .klp.sym.'))).toHaveLength(12);
    expect(decisions).toContainEqual(expect.stringMatching(/^ {2}_printk: kept ordinary, exported by vmlinux /));
    expect(decisions.find((l) => l.includes('-> .klp.sym.'))).toMatch(/ \(\S+; \d+ relocations? in \S+\)$/);
    const plain = run(['--dry-run', ...maps(), ko, join(dir, 'unwritten.ko')]);
    expect(plain.stderr.split('\n').filter((l) => decisions.includes(l))).toEqual([]);
  });

  it('accepts the upstream form <symbols.klp> <in.ko> <out.ko>', () => {
    const out = join(dir, 'upstream.ko');
    const r = run([join(dir, 'symbols.klp'), '-e', join(dir, 'Module.symvers'), ko, out]);
    expect(r.status).toBe(0);
    expect(readFileSync(out).equals(readFileSync(join(dir, 'out.ko')))).toBe(true);
  });

  it('finds Module.symvers and symbols.klp with --kdir', () => {
    const out = join(dir, 'kdir.ko');
    const r = run(['--kdir', dir, ko, out]);
    expect(r.status).toBe(0);
    expect(readFileSync(out).equals(readFileSync(join(dir, 'out.ko')))).toBe(true);
  });

  it('converts in place (in == out) atomically, leaving no temporary file', () => {
    const sub = mkdtempSync(join(dir, 'inplace-'));
    const f = join(sub, 'lp.ko');
    copyFileSync(ko, f);
    expect(run([...maps(), f, f]).status).toBe(0);
    expect(readFileSync(f).equals(readFileSync(join(dir, 'out.ko')))).toBe(true);
    expect(readdirSync(sub)).toEqual(['lp.ko']);
    // Converting again is a no-op.
    const before = readFileSync(f);
    const r = run([...maps(), f, f]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/nothing to convert/);
    expect(readFileSync(f).equals(before)).toBe(true);
  });

  it('on conversion errors: every error, exit 1, no output file, input untouched', () => {
    const out = join(dir, 'fail.ko');
    const bad = MAP.replace('nr_threads\n', '').replace('klpt_target_key\n', '');
    writeFileSync(join(dir, 'bad.klp'), bad);
    const before = readFileSync(ko);
    const mtime = statSync(ko).mtimeMs;
    const r = run(['-s', join(dir, 'bad.klp'), '-e', join(dir, 'Module.symvers'), ko, out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: .*in\.ko: section '\.rela\.text' offset 0x[0-9a-f]+: symbol 'nr_threads' is not exported and is in no symbol map/);
    expect(r.stderr).toMatch(/error: .*in\.ko: section '\.rela__jump_table' offset 0x[0-9a-f]+: symbol 'klpt_target_key'/);
    expect(r.stderr).toMatch(/not converted \(2 errors\); nothing written/);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(ko).equals(before)).toBe(true);
    expect(statSync(ko).mtimeMs).toBe(mtime);
  });

  it('on malformed ELF: exit 3, a message naming file and offset, no output', () => {
    const trunc = join(dir, 'trunc.ko');
    writeFileSync(trunc, readFileSync(ko).subarray(0, 200));
    const out = join(dir, 'trunc.out.ko');
    const r = run([...maps(), trunc, out]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/error: .*trunc\.ko: offset 0x[0-9a-f]+: section header table .* extends past the end of the file/);
    expect(existsSync(out)).toBe(false);
  });

  it('on a bad map line: exit 3, naming file and line', () => {
    writeFileSync(join(dir, 'nohdr.klp'), 'saved_command_line\n*vmlinux\n');
    const r = run(['-s', join(dir, 'nohdr.klp'), ko, join(dir, 'x.ko')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/nohdr\.klp(:1)?/);
    expect(existsSync(join(dir, 'x.ko'))).toBe(false);
  });

  it('on a missing input: exit 3', () => {
    const r = run([...maps(), join(dir, 'nope.ko'), join(dir, 'y.ko')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/nope\.ko: cannot read: no such file/);
  });

  it('usage errors exit 2', () => {
    expect(run([ko]).status).toBe(2);
    expect(run(['--no-such-option', ko, ko]).status).toBe(2);
    expect(run(['a', 'b', 'c', 'd']).status).toBe(2);
  });

  it('--dry-run writes nothing; --json reports every decision', () => {
    const out = join(dir, 'dry.ko');
    const r = run([...maps(), '--dry-run', '--json', '-', ko, out]);
    expect(r.status).toBe(0);
    expect(existsSync(out)).toBe(false);
    const report = JSON.parse(r.stdout) as {
      converted: { symbol: string; klpSymbol: string; relocations: unknown[] }[];
      kept: { name: string }[];
    };
    const scl = report.converted.find((c) => c.symbol === 'saved_command_line')!;
    expect(scl.klpSymbol).toBe('.klp.sym.vmlinux.saved_command_line,0');
    expect(scl.relocations.length).toBeGreaterThan(1);
    expect(report.kept.map((k) => k.name)).toContain('pv_ops');
  });

  it('check: accepts our output and an unconverted module alike (no klp section to refuse)', () => {
    expect(run(['check', join(dir, 'out.ko')]).status).toBe(0);
    const r = run(['check', ko]);
    expect(r.stderr).toMatch(/in\.ko: ok/); // no klp sections yet: nothing the kernel would refuse
  });

  it('reads a YAML symbol map and a positions file (file and type hints, no position numbers)', () => {
    const yamlMap = [
      'klp-convert-symbol-map: 1',
      'objects:',
      '  vmlinux:',
      ...LIVEPATCH_MAP.vmlinux.filter((n) => n !== 'nr_threads').map((n) => `    - ${n}`),
      '    - { name: nr_threads, position: 1, file: kernel/fork.c, type: D }',
      '    - { name: nr_threads, position: 2, file: drivers/x.c, type: t }',
      '  klpt_target:',
      ...LIVEPATCH_MAP.klpt_target.map((n) => `    - ${n}`),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'map.yaml'), yamlMap);
    const out = join(dir, 'yaml.ko');
    const base = ['-s', join(dir, 'map.yaml'), '-e', join(dir, 'Module.symvers'), '--json', '-'];
    // Without a hint: ambiguous, and the error shows both candidates with their files.
    const amb = run([...base, ko, out]);
    expect(amb.status).toBe(1);
    expect(amb.stderr).toMatch(/vmlinux, position 1, type D, file kernel\/fork\.c \(.*map\.yaml:\d+\)/);
    expect(existsSync(out)).toBe(false);
    for (const [hint, pos] of [['{ file: fork.c }', 1], ['{ object: vmlinux, type: func }', 2]] as const) {
      writeFileSync(join(dir, 'positions.yaml'), `# which nr_threads\nnr_threads: ${hint}\n`);
      const r = run([...base, '-p', join(dir, 'positions.yaml'), ko, out]);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { converted: { symbol: string; klpSymbol: string; rule: string }[] };
      const c = report.converted.find((x) => x.symbol === 'nr_threads')!;
      expect(c.klpSymbol).toBe(`.klp.sym.vmlinux.nr_threads,${pos}`);
      expect(c.rule).toBe('map-position');
    }
  });

  it('reports a bad positions line with file and line, exit 3', () => {
    writeFileSync(join(dir, 'bad-positions.yaml'), 'nr_threads: { object: vmlinux }\nm_show: { position: -1 }\n');
    const r = run([...maps(), '-p', join(dir, 'bad-positions.yaml'), ko, join(dir, 'z.ko')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/bad-positions\.yaml:2/);
    expect(existsSync(join(dir, 'z.ko'))).toBe(false);
  });

  it('prints help and version', () => {
    const h = run(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('klp-convert [options] <in.ko> <out.ko>');
    expect(run(['--version']).stdout.trim()).toBe('0.1.0');
  });
});

describe('help that reads well', () => {
  it('fits every --help in 80 columns, and --version is the package version', () => {
    for (const args of [['--help'], ['symbols', '--help'], ['check', '--help']]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(0);
      const long = r.stdout.split('\n').filter((l) => l.length > 80);
      expect(long, `${args.join(' ')}: lines over 80 columns`).toEqual([]);
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run(['--version']).stdout.trim()).toBe(pkg.version);
  });

  it('--kbuild-fragment prints the path of the fragment', () => {
    const r = run(['--kbuild-fragment']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(join(ROOT, 'kbuild', 'klp-convert.mk'));
  });
});

describe('klp-convert symbols --symvers', () => {
  it('belongs to the subcommand: a missing file is an error, and a given one marks exports', () => {
    const ks = join(dir, 'small-kallsyms.txt');
    writeFileSync(ks, 'ffffffff81000000 T foo_exported\nffffffff81000010 t foo_static\nffffffff81000020 T bar\n');
    const sv = join(dir, 'small.symvers');
    writeFileSync(sv, '0x00000000\tfoo_exported\tvmlinux\tEXPORT_SYMBOL\t\n');
    const missing = run([
      'symbols',
      '--kallsyms',
      ks,
      '--symvers',
      join(dir, 'nope.symvers'),
      '-o',
      join(dir, 's0.klps'),
    ]);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/nope\.symvers: cannot read: no such file/);
    expect(run(['symbols', '--kallsyms', ks, '-o', join(dir, 's1.klps')]).status).toBe(0);
    expect(run(['symbols', '--kallsyms', ks, '--symvers', sv, '-o', join(dir, 's2.klps')]).status).toBe(0);
    const without = readFileSync(join(dir, 's1.klps'), 'utf8');
    const withSymvers = readFileSync(join(dir, 's2.klps'), 'utf8');
    expect(withSymvers).not.toBe(without);
  });
});
