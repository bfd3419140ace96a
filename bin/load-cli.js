// The CLI as one script (dist/klp-convert.cjs, made by scripts/build-bundle.mjs)
// compiled with V8's code cache (dist/klp-convert.cache): Node 20 has no
// compile cache for ES modules, and resolving, reading and compiling fifty
// modules costs more than Node's own start-up. Both files are optional: without
// them, or when they are older than the compiled modules (tsc ran after the
// bundle), the launcher imports dist/cli/main.js instead.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const DIST = join(__dirname, '..', 'dist');
const BUNDLE = join(DIST, 'klp-convert.cjs');
const CACHE = join(DIST, 'klp-convert.cache');
// The yaml package, bundled apart (the CLI's bundle requires it on first need).
const YAML_BUNDLE = join(DIST, 'klp-convert-yaml.cjs');
const MAIN = join(DIST, 'cli', 'main.js');

function mtime(url) {
  return statSync(url, { throwIfNoEntry: false })?.mtimeMs;
}

/**
 * The bundle's first line names its build (`// klp-convert bundle <id>`); the
 * cache starts with the same id, padded with spaces, and a newline. V8 checks
 * its own version and flags but not the script's bytes, so a cache is used
 * only for its own build.
 */
function cacheHeader(id) {
  // V8 copies cached data that is not 8-byte aligned before reading it (331 KB, ~80 fresh pages);
  // a file read whole starts aligned, so the header is a multiple of 8 bytes long.
  return `${id.padEnd(Math.ceil((id.length + 1) / 8) * 8 - 1)}\n`;
}

function cacheFor(code, cache) {
  const header = cacheHeader(code.slice(0, code.indexOf('\n')));
  if (cache.length <= header.length || cache.toString('latin1', 0, header.length) !== header) return undefined;
  return cache.subarray(header.length);
}

/** Compile the bundle; returns the script and its exports (main, buildProgram...). */
function compileBundle(code, cachedData) {
  const script = new Script(code, { filename: BUNDLE, cachedData });
  const bundled = { exports: {} };
  // The bundle is a function of (module, require, import.meta.url of dist/cli/main.js).
  script.runInThisContext()(bundled, createRequire(MAIN), pathToFileURL(MAIN).href);
  return { script, exports: bundled.exports };
}

/** The bundled CLI's exports, or undefined when there is no usable bundle. */
function loadBundledCli() {
  const bundled = mtime(BUNDLE);
  if (bundled === undefined || bundled < (mtime(MAIN) ?? 0)) return undefined;
  // ASCII by construction (build-bundle.mjs): latin1 makes a one-byte string without decoding.
  const code = readFileSync(BUNDLE, 'latin1');
  let cachedData;
  try {
    cachedData = cacheFor(code, readFileSync(CACHE));
  } catch {
    // No cache: V8 compiles from source.
  }
  return compileBundle(code, cachedData).exports;
}

module.exports = { BUNDLE, CACHE, YAML_BUNDLE, cacheFor, cacheHeader, compileBundle, loadBundledCli };
