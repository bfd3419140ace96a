// The CLI as one script (dist/klp-convert.cjs, made by scripts/build-bundle.mjs)
// compiled with V8's code cache (dist/klp-convert.cache): Node 20 has no
// compile cache for ES modules, and resolving, reading and compiling fifty
// modules costs more than Node's own start-up. Both files are optional: without
// them, or when they are older than the compiled modules (tsc ran after the
// bundle), the launcher imports dist/cli/main.js instead.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const DIST = new URL('../dist/', import.meta.url);
export const BUNDLE = new URL('klp-convert.cjs', DIST);
export const CACHE = new URL('klp-convert.cache', DIST);
const MAIN = new URL('cli/main.js', DIST);

function mtime(url) {
  return statSync(url, { throwIfNoEntry: false })?.mtimeMs;
}

/**
 * The bundle's first line names its build (`// klp-convert bundle <id>`); the
 * cache starts with the same id and a newline. V8 checks its own version and
 * flags but not the script's bytes, so a cache is used only for its own build.
 */
export function cacheFor(code, cache) {
  const id = code.slice(0, code.indexOf('\n'));
  if (cache.length <= id.length || cache.toString('latin1', 0, id.length + 1) !== `${id}\n`) return undefined;
  return cache.subarray(id.length + 1);
}

/** Compile the bundle; returns the script and its exports (main, buildProgram...). */
export function compileBundle(code, cachedData) {
  const script = new Script(code, { filename: fileURLToPath(BUNDLE), cachedData });
  const module = { exports: {} };
  // The bundle is a function of (module, require, import.meta.url of dist/cli/main.js).
  script.runInThisContext()(module, createRequire(MAIN), MAIN.href);
  return { script, exports: module.exports };
}

/** The bundled CLI's exports, or undefined when there is no usable bundle. */
export function loadBundledCli() {
  const bundled = mtime(BUNDLE);
  if (bundled === undefined || bundled < (mtime(MAIN) ?? 0)) return undefined;
  const code = readFileSync(BUNDLE, 'utf8');
  let cachedData;
  try {
    cachedData = cacheFor(code, readFileSync(CACHE));
  } catch {
    // No cache: V8 compiles from source.
  }
  return compileBundle(code, cachedData).exports;
}
