#!/usr/bin/env node
// Baseline: what any loader pays before looking at a single name — read the
// map and Module.symvers into memory (gunzipping .gz) and find every line end.
// usage: read-map.mjs <map> <Module.symvers>
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

let lines = 0;
for (const file of process.argv.slice(2)) {
  let b = readFileSync(file);
  if (b[0] === 0x1f && b[1] === 0x8b) {
    b = gunzipSync(b, { chunkSize: Math.max(65536, b.readUInt32LE(b.length - 4) + 1) });
  }
  for (let s = 0; ; lines++) {
    const e = b.indexOf(10, s);
    if (e < 0) break;
    s = e + 1;
  }
}
if (process.env.KLP_BENCH_VERBOSE) console.error(`${lines} lines`);
