#!/usr/bin/env node
// Our loader, as klp-convert uses it: loadSymbolIndex for the wanted names,
// then every question the converter asks about each of them.
// usage: load-index.mjs <map> <Module.symvers> <names-file>
// Set KLP_BENCH_VERBOSE=1 for the time spent inside node.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { loadSymbolIndex } = await import(join(root, 'dist', 'symbols', 'index.js'));
const [map, symvers, namesFile] = process.argv.slice(2);
const names = new Set(readFileSync(namesFile, 'utf8').split('\n').filter(Boolean));
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const index = await loadSymbolIndex({ maps: [map], symvers: [symvers] }, names);
let definitions = 0;
for (const n of names) {
  const defs = index.definitions(n);
  definitions += defs.length;
  index.exporter(n);
  for (const d of defs) index.countIn(d.object, n);
}
if (process.env.KLP_BENCH_VERBOSE) {
  const cpu = process.cpuUsage(cpu0);
  const ms = (performance.now() - t0).toFixed(1);
  const cpuMs = ((cpu.user + cpu.system) / 1000).toFixed(1);
  const what = `${names.size} names, ${definitions} definitions, ${index.objects.size} objects`;
  console.error(`${what}: ${ms} ms wall, ${cpuMs} ms CPU in node`);
}
