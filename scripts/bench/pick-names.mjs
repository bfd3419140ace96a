#!/usr/bin/env node
// Pick the benchmark's wanted names from a map, deterministically: names that
// occur exactly once in the whole map and are not exported (what a converter
// has to look up), 150 from vmlinux and 50 spread over 10 modules, like the
// upstream C tool's benchmark (500 relocations to 200 symbols).
//
// usage: pick-names.mjs <map> <Module.symvers> [vmlinux-count] [module-count]
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const read = (f) => {
  const b = readFileSync(f);
  return (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b).toString('utf8');
};
const [mapFile, symversFile, vmCount = '150', modCount = '50'] = process.argv.slice(2);
if (!mapFile || !symversFile) {
  console.error('usage: pick-names.mjs <map> <Module.symvers> [vmlinux-count] [module-count]');
  process.exit(2);
}
const exported = new Set(read(symversFile).split('\n').map((l) => l.split('\t')[1]));
const lines = read(mapFile).split('\n');
if (!lines[0].startsWith('klp-convert-symbol-data.0.1') && !lines[0].startsWith('klp-convert-symbols ')) {
  console.error(`${mapFile}: expected an upstream or compact map`);
  process.exit(2);
}
const compact = lines[0].startsWith('klp-convert-symbols ');
const seen = new Map(); // name -> count
const firstObject = new Map();
let object = '';
for (const line of lines.slice(1)) {
  if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
  if (line.startsWith('*')) {
    object = line.slice(1).split(' ')[0];
    continue;
  }
  // Compact maps: skip symbols only visible while a module loads ('-' flag).
  if (compact && line.slice(0, line.indexOf(' ')).includes('-')) continue;
  const name = compact ? line.slice(line.indexOf(' ') + 1) : line;
  seen.set(name, (seen.get(name) ?? 0) + 1);
  if (!firstObject.has(name)) firstObject.set(name, object);
}
const ok = (n) => seen.get(n) === 1 && !exported.has(n) && !/^(\.|__ksymtab|__kstrtab|__crc_|__UNIQUE_ID|__func__|__BTF_ID__)/.test(n);
const vm = [...firstObject].filter(([n, o]) => o === 'vmlinux' && ok(n)).map(([n]) => n);
const byModule = new Map();
for (const [n, o] of firstObject) if (o !== 'vmlinux' && ok(n)) (byModule.get(o) ?? byModule.set(o, []).get(o)).push(n);
/** k names spread evenly over arr. */
const every = (arr, k) => {
  const n = Math.min(k, arr.length);
  return Array.from({ length: n }, (_, i) => arr[Math.floor((i * arr.length) / n)]);
};
const out = every(vm, Number(vmCount));
const mods = [...byModule.keys()].sort().filter((m) => byModule.get(m).length >= 5);
for (const m of every(mods, 10)) out.push(...every(byModule.get(m), Math.ceil(Number(modCount) / 10)));
process.stdout.write(`${out.join('\n')}\n`);
