// The wasm line filter (line-filter.ts, wasm/line-filter.wat) against the
// JavaScript line loop it stands in for: the same readers fed the same maps of
// every line-oriented format, whole or damaged, in windows small enough that
// lines straddle them, must give the same results and the same errors (message
// and line). The committed wasm bytes must be what the .wat assembles to.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { lineReader } from '../../src/symbols/detect.js';
import { WasmLineWindow, wasmLineFilterAvailable } from '../../src/symbols/line-filter.js';
import type { MapFormat } from '../../src/symbols/map-scan.js';
import { NameMatcher } from '../../src/symbols/name-matcher.js';
import { type InputOptions, InputReader, WINDOW } from '../../src/symbols/read-input.js';
import { SymversScan } from '../../src/symbols/symvers.js';
import { rng } from '../support/rng.js';
import { tempDir, writeTemp } from './helpers.js';
// @ts-expect-error: a plain ES module script, without type declarations
import { MODULE, lineFilterModuleText } from '../../scripts/build-wasm.mjs';

const dir = tempDir('klp-wasm-');

type Format = Exclude<MapFormat, 'yaml'> | 'symvers';

/** What reading `file` as `format` gives: the reader's result, or its error's message. */
async function outcome(file: string, format: Format, wanted: string[], options: InputOptions): Promise<unknown> {
  const matcher = new NameMatcher(wanted, true);
  // The head comes through a window of the usual size: header checks look at 4 KiB.
  const first = InputReader.open(file, options.wholeGzip ? { wholeGzip: true } : {});
  const input = InputReader.open(file, options);
  try {
    if (format === 'symvers') {
      const scan = new SymversScan(file, matcher);
      await input.forEachLine(scan.visit, 0, scan.lines);
      return { found: [...scan.found] };
    }
    const reader = lineReader(format, await first.head(), file, matcher);
    await input.forEachLine(reader.visit, reader.skip, reader.lines);
    return reader.finish();
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    first.close();
    input.close();
  }
}

const PARTS = ['init', 'read', 'lock', 'x', 'probe', 'snd_pcm', '__ksymtab_', 'a', 'kallsyms_names', 'ab'];

function randomName(next: () => number): string {
  const pick = (): string => PARTS[Math.floor(next() * PARTS.length)]!;
  const n = 1 + Math.floor(next() * 3);
  return Array.from({ length: n }, pick).join(next() < 0.5 ? '_' : '');
}

/** A map of `format` with `count` symbol lines and its names (objects, files and module runs mixed in). */
function randomMap(format: Format, count: number, next: () => number): { text: string; names: string[] } {
  const names: string[] = [];
  const out: string[] = [];
  const object = (): string => `mod${Math.floor(next() * 6)}${next() < 0.2 ? '-x' : ''}`;
  if (format === 'upstream') out.push('klp-convert-symbol-data.0.1', '*vmlinux');
  if (format === 'compact') out.push('klp-convert-symbols 1', '# generated', '*vmlinux');
  let files = 0;
  let module = '';
  for (let i = 0; i < count; i++) {
    const name = randomName(next);
    names.push(name);
    const r = next();
    switch (format) {
      case 'upstream':
        if (r < 0.05) out.push(`*${object()}`);
        out.push(name);
        break;
      case 'compact':
        if (r < 0.05) {
          out.push(`*${object()}${next() < 0.3 ? ' load' : ''}`);
          files = 0;
        } else if (r < 0.12) {
          out.push(`@${++files} src/f${files}.c`);
        } else if (r < 0.14) {
          out.push('# a comment');
        }
        out.push(`${'TtDdbB?'[Math.floor(next() * 7)]}${next() < 0.2 ? '+' : ''}${next() < 0.2 ? '-' : ''}` +
          `${files > 0 && next() < 0.5 ? 1 + Math.floor(next() * files) : ''} ${name}`);
        break;
      case 'kallsyms': {
        if (r < 0.3) module = '';
        else if (r < 0.4) module = next() < 0.2 ? 'bpf' : object();
        const address = Math.floor(next() * 2 ** 40).toString(16).padStart(16, '0');
        out.push(`${address} ${'TtDdbBAU'[Math.floor(next() * 8)]} ${name}${module ? `\t[${module}]` : ''}`);
        break;
      }
      case 'symvers':
        out.push(`0x${Math.floor(next() * 2 ** 32).toString(16)}\t${name}\t` +
          `${r < 0.5 ? 'vmlinux' : `drivers/x/${object()}`}` +
          `\tEXPORT_SYMBOL${r < 0.3 ? '_GPL' : ''}\t${r < 0.1 ? 'NS' : ''}`);
        break;
    }
    if (next() < 0.02) out.push('');
  }
  const crlf = next() < 0.2;
  return { text: out.map((l) => (crlf && next() < 0.5 ? `${l}\r` : l)).join('\n') + (next() < 0.8 ? '\n' : ''), names };
}

const NOISE = ['\n', '\r', '\t', ' ', '[', ']', '*', '@', '#', '+', '-', '0', '9', 'x', 'f', '\r\n', '\n\n', 'a'];

/** `text` with a few random edits: bytes inserted, deleted or replaced, lines swapped or emptied. */
function damage(text: string, next: () => number): string {
  let t = text;
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (t.length + 1));
    const noise = NOISE[Math.floor(next() * NOISE.length)]!;
    const r = next();
    if (r < 0.4) t = t.slice(0, at) + noise + t.slice(at);
    else if (r < 0.7) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(next() * 3));
    else t = t.slice(0, at) + noise + t.slice(at + 1);
  }
  return t;
}

/** Wanted names: some of the map's, some absent, short ones, and an export spelling. */
function wantedFrom(names: string[], next: () => number): string[] {
  const wanted = ['absent_name', 'a', 'ab', 'read', 'kallsyms_names'];
  for (const n of names) if (next() < 0.05) wanted.push(n);
  return wanted;
}

const FORMATS: Format[] = ['upstream', 'compact', 'kallsyms', 'symvers'];

describe('the wasm line filter', () => {
  it('runs in this Node (otherwise the comparisons below would compare the JavaScript loop with itself)', () => {
    expect(wasmLineFilterAvailable()).toBe(true);
  });

  it('is assembled from line-filter.wat as committed (run `npm run build-wasm` after changing the .wat)', async () => {
    const text = (await lineFilterModuleText()) as string;
    expect(readFileSync(MODULE as string, 'utf8')).toBe(text);
  });

  it.each(FORMATS)('reads random and damaged %s inputs as the JavaScript loop does, in any window', async (format) => {
    const next = rng(FORMATS.indexOf(format) + 101);
    let errors = 0;
    for (let round = 0; round < 60; round++) {
      const { text, names } = randomMap(format, 20 + Math.floor(next() * 300), next);
      const input = round % 3 === 0 ? text : damage(text, next);
      const gz = next() < 0.2;
      const file = writeTemp(dir, `${format}-${round}`, input, gz);
      const wanted = wantedFrom(names, next);
      const window = [16, 37, 64, 200, 4096][Math.floor(next() * 5)]!;
      const reference = await outcome(file, format, wanted, { wasm: false, window });
      const wasm = await outcome(file, format, wanted, { window });
      expect(wasm, `round ${round}, window ${window}, ${JSON.stringify(input.slice(0, 300))}`).toEqual(reference);
      if ((reference as { error?: string }).error !== undefined) errors++;
    }
    // Both kinds of outcome were compared.
    expect(errors).toBeGreaterThan(2);
    expect(errors).toBeLessThan(55);
  });

  it('takes the usual window without growing its memory (growing detaches an ArrayBuffer)', () => {
    const memory = (globalThis as { WebAssembly: { Memory: { prototype: { grow(pages: number): number } } } })
      .WebAssembly.Memory.prototype;
    const grow = vi.spyOn(memory, 'grow');
    try {
      const lines = WasmLineWindow.create(WINDOW);
      expect(lines?.window.length).toBe(WINDOW);
      expect(grow).not.toHaveBeenCalled();
      // A longer window still grows it, as a line longer than the window needs.
      lines!.grow(2 * WINDOW);
      expect(grow).toHaveBeenCalledTimes(1);
    } finally {
      grow.mockRestore();
    }
  });

  it('handles a line split across every window boundary, and lines longer than the window', async () => {
    const text =
      'klp-convert-symbol-data.0.1\r\n*vmlinux\r\nwanted_one\n\n' +
      `${'x'.repeat(300)}_wanted\nwanted_one\r\n*long-${'m'.repeat(150)}\nwanted_one`;
    const file = writeTemp(dir, 'split.klp', text);
    const wanted = ['wanted_one', `${'x'.repeat(300)}_wanted`];
    const reference = await outcome(file, 'upstream', wanted, { wasm: false });
    expect((reference as { hits: unknown[] }).hits).toHaveLength(4);
    for (let window = 16; window <= 80; window++) {
      expect(await outcome(file, 'upstream', wanted, { window }), `window ${window}`).toEqual(reference);
    }
  });

  it('reads kallsyms module runs longer than what it remembers of a module name', async () => {
    const module = 'm'.repeat(300);
    const lines = ['ffffffff81000000 T first'];
    for (let i = 0; i < 50; i++) {
      lines.push(`ffffffffc0000${i.toString(16).padStart(3, '0')} t name_${i}\t[${module}${i >> 4}]`);
    }
    const file = writeTemp(dir, 'kallsyms-long-module', `${lines.join('\n')}\n`);
    const wanted = ['name_3', 'name_20', 'name_49', 'first'];
    const reference = await outcome(file, 'kallsyms', wanted, { wasm: false, window: 64 });
    expect((reference as { hits: unknown[] }).hits).toHaveLength(4);
    expect(await outcome(file, 'kallsyms', wanted, { window: 64 })).toEqual(reference);
  });
});

describe('gzip inputs', () => {
  it('inflate the same through zlib\'s handle and in one go, errors included', async () => {
    const next = rng(7);
    const { text, names } = randomMap('kallsyms', 20000, next);
    const file = writeTemp(dir, 'kallsyms', text, true);
    const wanted = wantedFrom(names, next);
    const whole = await outcome(file, 'kallsyms', wanted, { wholeGzip: true });
    expect((whole as { hits: unknown[] }).hits.length).toBeGreaterThan(100);
    expect(await outcome(file, 'kallsyms', wanted, {})).toEqual(whole);
    const gz = readFileSync(file);
    const truncated = writeTemp(dir, 'truncated', gz.subarray(0, gz.length >> 1));
    const message = `${truncated}:0: cannot decompress gzip data: unexpected end of file`;
    for (const options of [{}, { wholeGzip: true }]) {
      expect(await outcome(truncated, 'kallsyms', wanted, options)).toEqual({ error: message });
    }
  });
});

describe('without WebAssembly (node --jitless)', () => {
  it('reads through the JavaScript loop', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    vi.resetModules();
    try {
      const filter = await import('../../src/symbols/line-filter.js');
      expect(filter.wasmLineFilterAvailable()).toBe(false);
      const { InputReader: Reader } = await import('../../src/symbols/read-input.js');
      const file = writeTemp(dir, 'plain.klp', 'klp-convert-symbol-data.0.1\n*vmlinux\nwanted\r\nother_name\n');
      const seen: string[] = [];
      const matcher = new NameMatcher(['wanted'], false);
      await Reader.open(file).forEachLine((b, s, e, l) => seen.push(`${l}:${b.toString('latin1', s, e)}`), 1, {
        format: 'upstream',
        filter: matcher.filter,
      });
      // The JavaScript loop visits every line; the wasm filter would have left out other_name.
      expect(seen).toEqual(['2:*vmlinux', '3:wanted', '4:other_name']);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
