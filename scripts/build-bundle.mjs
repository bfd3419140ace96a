#!/usr/bin/env node
// `npm run build`'s last step: the CLI as one script, dist/klp-convert.cjs, and
// V8's code cache for it, dist/klp-convert.cache (bin/load-cli.js loads both).
// Run after tsc: the bundle is made from dist/cli/main.js, so it holds exactly
// the compiled modules. The cache is made by a child process (a Node with no
// extra flags, as users run it) that converts the bundled sample module twice,
// through a kallsyms map and through an upstream map, so that the functions of
// a conversion are in it; V8 compiles the rest on first use. The yaml package, needed only for
// YAML maps and positions files, is a bundle of its own (dist/klp-convert-yaml.cjs), loaded on
// first need: inside the CLI's bundle it was 40% of the text read, copied and mapped at every start.
//
// Measured (issue 10, cachegrind): `klp-convert --version` executes 579 M instructions this
// way, 634 M as ES modules, against 508 M for `node -e 0`: loading the CLI costs 44% less.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const loader = await import(new URL('../bin/load-cli.js', import.meta.url).href);

if (process.argv[2] === '--make-cache') await makeCache();
else await bundle();

async function bundle() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(ROOT, 'dist/cli/main.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'warning',
    // import.meta.url of dist/cli/main.js: the CLI finds package.json and the kbuild fragment through it.
    define: { 'import.meta.url': '__klpModuleUrl' },
    // Fewer bytes to read, copy into a V8 string and keep; names stay as they are (messages and
    // stack traces read the same), and dist/ keeps the readable modules.
    minifyWhitespace: true,
    minifySyntax: true,
    // The bundle runs as a vm.Script, which has no loader for import(): every import() of a module
    // left outside the bundle (node:os for --auto, node:child_process for compressed modules) becomes
    // a require on first use, as the bundled ones already are.
    supported: { 'dynamic-import': false },
    plugins: [lazyChildProcessForCommander(), yamlOnFirstUse()],
  });
  await build({
    entryPoints: [createRequire(import.meta.url).resolve('yaml')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    minifyWhitespace: true,
    minifySyntax: true,
    outfile: loader.YAML_BUNDLE,
  });
  const body = `(function (module, require, __klpModuleUrl) {\n${asciiOnly(result.outputFiles[0].text)}\n})\n`;
  const id = createHash('sha256').update(body).digest('hex').slice(0, 32);
  writeFileSync(loader.BUNDLE, `// klp-convert bundle ${id}\n${body}`);
  // A cache from an earlier build must not outlive it (load-cli.js would refuse it anyway).
  rmSync(loader.CACHE, { force: true });
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const stdio = ['ignore', 'ignore', 'pipe'];
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--make-cache'], { stdio, env });
}

/**
 * The bundle in ASCII, so that the launcher can read it as latin1: V8 then holds it as a one-byte
 * string, with no UTF-8 decoding of 600 KB at every start (cachegrind: 11 M instructions of
 * `klp-convert --version`'s 55 M above Node's own start-up) and half the memory to scan. esbuild
 * already escapes strings and identifiers (its default `charset: 'ascii'`) but copies comments as
 * they are; a \\u escape is what esbuild would write in a string or identifier and is inert in a comment.
 */
function asciiOnly(text) {
  return text.replace(/[\u0080-\u{10ffff}]/gu, (c) =>
    c.length === 1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : `\\u{${c.codePointAt(0).toString(16)}}`,
  );
}

/**
 * commander requires node:child_process when it loads, for subcommands run as separate executables,
 * which this CLI has none of; that module brings Node's stream and network modules with it, ~14 M
 * instructions (~3% of Node's start-up, cachegrind) at every start. commander gets a stand-in that
 * requires the real module on first use.
 */
function lazyChildProcessForCommander() {
  return {
    name: 'lazy-child-process-for-commander',
    setup(b) {
      b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
        /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
          ? { path: 'child_process', namespace: 'lazy-builtin' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
        contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
        loader: 'js',
      }));
    },
  };
}

/**
 * The yaml package stays out of the CLI's bundle: its one importer (yaml-support.ts, by a dynamic
 * import on first need) gets dist/klp-convert-yaml.cjs instead, which Node compiles when a YAML
 * input is read. The path is relative to dist/cli/main.js, the bundle's `require` base.
 */
function yamlOnFirstUse() {
  return {
    name: 'yaml-on-first-use',
    setup(b) {
      b.onResolve({ filter: /^yaml$/ }, () => ({ path: 'yaml', namespace: 'yaml-bundle' }));
      b.onResolve({ filter: /^\.\.\/klp-convert-yaml\.cjs$/ }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: 'yaml-bundle' }, () => ({
        contents: "module.exports = require('../klp-convert-yaml.cjs');",
        loader: 'js',
      }));
    },
  };
}

async function makeCache() {
  const code = readFileSync(loader.BUNDLE, 'latin1');
  const { script, exports } = loader.compileBundle(code, undefined);
  const sample = join(ROOT, 'symbols-maps/sample');
  const work = mkdtempSync(join(tmpdir(), 'klp-bundle-'));
  try {
    // Whatever kernel the sample was last made for (test/e2e/make-sample.sh names the dump after it).
    const kallsyms = join(sample, readdirSync(sample).find((f) => f.startsWith('kallsyms-')));
    const symvers = join(work, 'Module.symvers');
    writeFileSync(symvers, gunzipSync(readFileSync(join(sample, 'Module.symvers.gz'))));
    const upstream = join(work, 'symbols.klp');
    writeFileSync(upstream, 'klp-convert-symbol-data.0.1\n*vmlinux\nsaved_command_line\nnr_processes\n');
    const ko = join(sample, 'klpt_cmdline.ko');
    for (const args of [
      ['-q', '-s', kallsyms, '-e', join(sample, 'Module.symvers.gz'), ko, join(work, 'a.ko')],
      ['-q', upstream, '-e', symvers, ko, join(work, 'b.ko')],
    ]) {
      const status = await exports.main(args);
      if (status !== 0) {
        throw new Error(`build-bundle: converting the sample failed (exit ${status}): ${args.join(' ')}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const id = code.slice(0, code.indexOf('\n'));
  writeFileSync(loader.CACHE, Buffer.concat([Buffer.from(loader.cacheHeader(id)), script.createCachedData()]));
}
