// The bundled CLI and its code cache (scripts/build-bundle.mjs, bin/load-cli.js),
// built by the test run's global setup as `npm run build` builds them: the cache
// is taken by this Node, refused for another build or another V8 without harm,
// and the bundle converts byte for byte as the compiled modules do.
// (Here with the symbol-map tests: the bundle exists to make map lookups cheap to start.)
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUNDLE = join(ROOT, 'dist', 'klp-convert.cjs');
const CACHE = join(ROOT, 'dist', 'klp-convert.cache');
const SAMPLE = join(ROOT, 'symbols-maps', 'sample');
const dir = tempDir('klp-bundle-test-');

const code = readFileSync(BUNDLE, 'latin1');
const cache = readFileSync(CACHE);
const id = code.slice(0, code.indexOf('\n'));
// The id padded to a multiple of 8 bytes, newline included (load-cli.js: V8 copies unaligned cached data).
const header = `${id.padEnd(Math.ceil((id.length + 1) / 8) * 8 - 1)}\n`;

function compiled(cachedData: Buffer | undefined): Script {
  return new Script(code, { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
}

describe('the bundled CLI', () => {
  it('carries its build id in its first line and in its cache, and this Node takes the cache', () => {
    expect(id).toMatch(/^\/\/ klp-convert bundle [0-9a-f]{32}$/);
    expect(header.length % 8).toBe(0);
    expect(cache.toString('latin1', 0, header.length)).toBe(header);
    expect(compiled(cache.subarray(header.length)).cachedDataRejected).toBe(false);
  });

  it('is pure ASCII, so that the launcher reads it as latin1 (a one-byte string, nothing to decode)', () => {
    // (The compiled modules do have non-ASCII characters, in comments: build-bundle.mjs escapes them.)
    expect(/[\u0080-\u{10ffff}]/u.test(code)).toBe(false);
  });

  it('loads no Node module it does not need, to start or to convert from plain maps', () => {
    // commander requires node:child_process at load (build-bundle.mjs gives it a lazy stand-in), and
    // so did the map generator: with it came Node's stream and network modules, ~3% of Node's start-up.
    // node:fs/promises brings readline, watchers and directory streams; node:os is for --auto only.
    const symvers = join(dir, 'Module.symvers');
    writeFileSync(symvers, gunzipSync(readFileSync(join(SAMPLE, 'Module.symvers.gz'))));
    const map = join(dir, 'symbols.klp');
    writeFileSync(map, 'klp-convert-symbol-data.0.1\n*vmlinux\nsaved_command_line\nnr_processes\n');
    const args = ['-q', map, '-e', symvers, join(SAMPLE, 'klpt_cmdline.ko'), join(dir, 'plain.ko')];
    const probe = [
      'const loaded = (since) => process.moduleLoadList.filter((m) => !since.has(m));',
      'const before = new Set(process.moduleLoadList);',
      `const cli = require(${JSON.stringify(join(ROOT, 'bin', 'load-cli.js'))}).loadBundledCli();`,
      'const started = new Set(process.moduleLoadList);',
      'const atStart = loaded(before);',
      `cli.main(${JSON.stringify(args)}).then((status) => {`,
      '  require("node:fs").writeSync(1, JSON.stringify({ status, atStart, converting: loaded(started) }));',
      '});',
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { status, atStart, converting } = JSON.parse(r.stdout) as Record<string, unknown> & { atStart: string[] };
    expect(status).toBe(0);
    expect(atStart).toContain('NativeModule vm');
    for (const m of ['child_process', 'net', 'stream', 'zlib']) expect(atStart).not.toContain(`NativeModule ${m}`);
    expect(converting).toEqual([]);
  });

  it('inflates a gzipped map without node:zlib and its streams, and quietly where deprecations are shown', () => {
    const map = join(SAMPLE, readdirSync(SAMPLE).find((f) => f.startsWith('kallsyms-'))!);
    const args = ['-s', map, '-e', join(SAMPLE, 'Module.symvers.gz'), join(SAMPLE, 'klpt_cmdline.ko')];
    const probe = [
      'const before = new Set(process.moduleLoadList);',
      `const cli = require(${JSON.stringify(join(ROOT, 'bin', 'load-cli.js'))}).loadBundledCli();`,
      `cli.main(${JSON.stringify([...args, join(dir, 'gz.ko')])}).then((status) => {`,
      '  const loaded = process.moduleLoadList.filter((m) => !before.has(m));',
      '  require("node:fs").writeSync(1, JSON.stringify({ status, loaded }));',
      '});',
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { status, loaded } = JSON.parse(r.stdout) as { status: number; loaded: string[] };
    expect(status).toBe(0);
    for (const m of ['zlib', 'stream']) expect(loaded).not.toContain(`NativeModule ${m}`);
    // process.binding warns (DEP0111) only where pending deprecations are shown: node:zlib is used there.
    const cli = join(ROOT, 'bin', 'klp-convert.js');
    const viaFlag = spawnSync(process.execPath, ['--pending-deprecation', cli, ...args, join(dir, 'flag.ko')], {
      encoding: 'utf8',
    });
    const env = { ...process.env, NODE_PENDING_DEPRECATION: '1' };
    const viaEnv = spawnSync(process.execPath, [cli, ...args, join(dir, 'env.ko')], { encoding: 'utf8', env });
    for (const run of [viaFlag, viaEnv]) {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/DEP0111|DeprecationWarning/);
    }
    expect(readFileSync(join(dir, 'flag.ko')).equals(readFileSync(join(dir, 'gz.ko')))).toBe(true);
    expect(readFileSync(join(dir, 'env.ko')).equals(readFileSync(join(dir, 'gz.ko')))).toBe(true);
  });

  it('leaves no import() in the bundle: a vm.Script has no loader for it, so each is a require on first use', () => {
    expect(code).not.toMatch(/\bimport\(/);
    // The one path that imports node:os: no options, so the module's kernel is compared with the running one.
    const env = { ...process.env };
    delete env.KLP_CONVERT_SYSROOT;
    const ko = join(SAMPLE, 'klpt_cmdline.ko');
    const argv = [join(ROOT, 'bin', 'klp-convert.js'), '--dry-run', ko, join(dir, 'auto.ko')];
    const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env });
    expect(r.stderr).toMatch(/klpt_cmdline\.ko is for kernel \S+: /);
    expect(r.stderr).not.toMatch(/dynamic import|internal error/);
    expect([0, 1]).toContain(r.status);
  });

  it('is refused by V8 when the cache is from another V8 (version hash changed), and still runs', () => {
    const data = Buffer.from(cache.subarray(header.length));
    // V8's code cache header: magic number, then the V8 version hash.
    data.writeUInt32LE((data.readUInt32LE(4) ^ 0xffffffff) >>> 0, 4);
    const script = compiled(data);
    expect(script.cachedDataRejected).toBe(true);
    const module = { exports: {} as { packageVersion?: () => string } };
    const main = join(ROOT, 'dist', 'cli', 'main.js');
    const run = script.runInThisContext() as (m: unknown, r: unknown, u: string) => void;
    run(module, createRequire(main), `file://${main}`);
    expect(module.exports.packageVersion?.()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('is refused by the loader for another build: a cache whose id differs is not handed to V8', async () => {
    type Loader = { cacheFor(code: string, cache: Buffer): Buffer | undefined };
    const loader = (await import(join(ROOT, 'bin', 'load-cli.js'))) as Loader;
    const taken = loader.cacheFor(code, cache)!;
    expect(taken.length).toBe(cache.length - header.length);
    // Where V8 reads it in place: 8-byte aligned, as a file read whole is.
    expect(cache.byteOffset % 8).toBe(0);
    expect(taken.byteOffset % 8).toBe(0);
    const otherId = `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;
    const other = Buffer.concat([Buffer.from(`${otherId.padEnd(header.length - 1)}\n`), cache.subarray(header.length)]);
    expect(loader.cacheFor(code, other)).toBeUndefined();
    expect(loader.cacheFor(code, Buffer.alloc(3))).toBeUndefined();
  });

  it('leaves the yaml package out and loads it from its own bundle for a YAML input, as the modules would', () => {
    // The constructor of yaml's syntax error class, as it reads in its package and in a bundle.
    const yamlCode = /super\(["']YAMLParseError["']/;
    expect(code).not.toMatch(yamlCode);
    expect(readFileSync(join(ROOT, 'dist', 'klp-convert-yaml.cjs'), 'utf8')).toMatch(yamlCode);
    // The hand-written example map lacks most of what the sample needs: the same errors, from a parsed map.
    const args = ['--dry-run', '-s', join(ROOT, 'symbols-maps', 'examples', 'symbols-map.yaml')];
    args.push(join(SAMPLE, 'klpt_cmdline.ko'), join(dir, 'unwritten.ko'));
    const probe = [
      `const { loadBundledCli } = require(${JSON.stringify(join(ROOT, 'bin', 'load-cli.js'))});`,
      'loadBundledCli().main(process.argv.slice(1)).then((status) => {',
      '  process.exitCode = status;',
      '  console.log(Object.keys(require.cache).filter((f) => f.includes("klp-convert-yaml")).length);',
      '});',
    ].join('\n');
    const a = spawnSync(process.execPath, ['-e', probe, '--', ...args], { encoding: 'utf8' });
    const mainJs = JSON.stringify(join(ROOT, 'dist', 'cli', 'main.js'));
    const runModules = `const { main } = await import(${mainJs}); process.exitCode = await main(process.argv.slice(1))`;
    const viaModules = ['--input-type=module', '-e', runModules, '--', ...args];
    const b = spawnSync(process.execPath, viaModules, { encoding: 'utf8' });
    expect(a.status, a.stderr).toBe(1);
    expect(a.stdout.trim()).toBe('1');
    expect(a.stderr).toContain('searched 2 objects');
    expect(a.stderr).toBe(b.stderr);
    expect(b.status).toBe(1);
  });

  it('converts the sample byte for byte as the compiled modules do, with the same messages', () => {
    const map = join(SAMPLE, readdirSync(SAMPLE).find((f) => f.startsWith('kallsyms-'))!);
    const symvers = join(SAMPLE, 'Module.symvers.gz');
    const args = (out: string) => ['-s', map, '-e', symvers, join(SAMPLE, 'klpt_cmdline.ko'), out];
    const viaBundle = join(dir, 'bundle.ko');
    const viaModules = join(dir, 'modules.ko');
    const node = (argv: string[]) => spawnSync(process.execPath, argv, { encoding: 'utf8' });
    const a = node([join(ROOT, 'bin', 'klp-convert.js'), ...args(viaBundle)]);
    const mainJs = JSON.stringify(join(ROOT, 'dist', 'cli', 'main.js'));
    const runModules = `const { main } = await import(${mainJs}); process.exitCode = await main(process.argv.slice(1))`;
    const b = node(['--input-type=module', '-e', runModules, '--', ...args(viaModules)]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    expect(a.stderr.replace(viaBundle, 'OUT')).toBe(b.stderr.replace(viaModules, 'OUT'));
    expect(readFileSync(viaBundle).equals(readFileSync(viaModules))).toBe(true);
  });
});
