#!/usr/bin/env node
// The table of `make bench` (scripts/bench.sh): per command the median wall time over the
// rounds (each round one hyperfine run of every command), the ratio to its baseline, the
// target from issue 10 and whether it is met, and the peak RSS.
// Usage: bench-table.mjs <run dir> <loadavg at start> <loadavg at end> <abi> <modules>
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';

const [dir, loadStart, loadEnd, abi, moduleCount] = process.argv.slice(2);
const rounds = readdirSync(dir).filter((f) => /^round-\d+\.json$/.test(f));
const times = new Map();
const order = [];
for (const f of rounds) {
  const { results } = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  results.forEach((r, i) => {
    if (!times.has(r.command)) times.set(r.command, []);
    times.get(r.command).push(...r.times);
    order[i] = r.command;
  });
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rssMiB = (i) => Number(readFileSync(join(dir, `rss-${i}.txt`), 'utf8').trim().split('\n').pop()) / 1024;
const med = (name) => median(times.get(name));

// name -> [baseline, ratio target, RSS target in MB (or null)]
const NODE = 'node -e 0';
const targets = {
  'convert: upstream form': [NODE, 2.0, 80],
  'convert: -s/-e form': [NODE, 2.0, 80],
  'convert: .gz map': [NODE, 2.5, 80],
  'convert: tiny map': [NODE, 1.5, null],
  'convert: sample': [NODE, 1.5, null],
  'convert: 1,000 targets': ['convert: upstream form', 1.3, null],
  'convert: 4x map': ['convert: upstream form', 2.0, null],
  'symbols --installed': ['nm -p --defined-only', 0.5, 250],
};

const rows = [['case', 'median', 'ratio', 'vs', 'target', 'result', 'peak RSS', 'RSS target', 'result']];
let met = 0;
let total = 0;
const verdict = (ok) => (total++, ok ? (met++, 'pass') : 'FAIL');
order.forEach((name, i) => {
  const ms = `${(med(name) * 1000).toFixed(0)} ms`;
  const rss = `${rssMiB(i).toFixed(0)} MB`;
  const t = targets[name];
  if (!t) return rows.push([name, ms, '1.00', '(baseline)', '', '', rss, '', '']);
  const [base, want, rssWant] = t;
  const ratio = med(name) / med(base);
  const result = verdict(ratio <= want);
  const rssResult = rssWant === null ? '' : verdict(rssMiB(i) <= rssWant);
  const rssTarget = rssWant === null ? '' : `<= ${rssWant} MB`;
  rows.push([name, ms, ratio.toFixed(2), base, `<= ${want.toFixed(1)}`, result, rss, rssTarget, rssResult]);
});

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const line = (r) => `| ${r.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
console.log(`\nmake bench: ${rounds.length} rounds (median per command); Debian ${abi}, ${moduleCount} modules`);
console.log(line(rows[0]));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows.slice(1)) console.log(line(r));
const load = (l) => l.split(' ').slice(0, 3).join(' ');
const cores = availableParallelism();
console.log(`\nload average (1/5/15 min): at start ${load(loadStart)}, at end ${load(loadEnd)} (${cores} cores)`);
console.log(`targets met: ${met} of ${total}`);
