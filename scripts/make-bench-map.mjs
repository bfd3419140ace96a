#!/usr/bin/env node
// A larger upstream map for issue 10 §3 ("a map 4x larger within 2x"): the map
// followed by N-1 renamed copies of all its objects. A copy's object is
// `<object>_copy<k>` and each name of six bytes or more has its third byte
// replaced by '.', which no wanted C identifier contains: the copies hold no
// wanted name, yet look the same to the scanner's pre-filter (length, second
// byte, last three bytes), so they cost what real objects would.
// Usage: make-bench-map.mjs <symbols.klp> <times> <out.klp>
import { readFileSync, writeFileSync } from 'node:fs';

const [mapPath, timesArg, outPath] = process.argv.slice(2);
const times = Number(timesArg);
if (!outPath || !Number.isInteger(times) || times < 1) {
  console.error('usage: make-bench-map.mjs <symbols.klp> <times> <out.klp>');
  process.exit(2);
}
const text = readFileSync(mapPath, 'latin1');
const body = text.slice(text.indexOf('\n') + 1).split('\n').filter(Boolean);
const parts = [text.endsWith('\n') ? text : `${text}\n`];
for (let k = 1; k < times; k++) {
  const rename = (l) => (l.startsWith('*') ? `${l}_copy${k}` : l.length >= 6 ? `${l.slice(0, 2)}.${l.slice(3)}` : l);
  const copy = body.map(rename);
  parts.push(`${copy.join('\n')}\n`);
}
writeFileSync(outPath, parts.join(''), 'latin1');
