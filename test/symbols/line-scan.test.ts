// The one line loop (line-scan.ts) and the streamed input under it (InputReader):
// every line seen once, with its number, whatever the window boundaries; gzip
// inflated as it streams; memory bounded by the window, not the input.
import { describe, expect, it } from 'vitest';
import { scanAllLines, scanLines } from '../../src/symbols/line-scan.js';
import { InputReader } from '../../src/symbols/read-input.js';
import { SymbolMapError } from '../../src/symbols/errors.js';
import { rng } from '../support/rng.js';
import { tempDir, writeTemp } from './helpers.js';

const dir = tempDir('klp-lines-');

type Seen = [number, string][];

function collector(): { seen: Seen; visit: (b: Buffer, s: number, e: number, l: number) => void } {
  const seen: Seen = [];
  return { seen, visit: (b, s, e, l) => seen.push([l, b.toString('latin1', s, e)]) };
}

/** What the loop must report: non-empty lines without '\r', numbered from 1. */
function expected(text: string, skip = 0): Seen {
  const out: Seen = [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  lines.forEach((l, i) => {
    const line = l.endsWith('\r') ? l.slice(0, -1) : l;
    if (i >= skip && line !== '') out.push([i + 1, line]);
  });
  return out;
}

/** Some megabytes of lines of assorted lengths, CRLF and empty lines among them. */
function manyLines(bytes: number, seed: number): string {
  const next = rng(seed);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const len = Math.floor(next() * (next() < 0.01 ? 3000 : 40));
    const line = `${i.toString(36)}_${'x'.repeat(len)}${next() < 0.05 ? '\r' : ''}`;
    parts.push(next() < 0.02 ? '' : line);
    size += line.length + 1;
  }
  return `${parts.join('\n')}\n`;
}

describe('scanLines', () => {
  it('sees each line once across any split of the input, CRLF and empty lines included', () => {
    const text = 'one\r\n\ntwo\nthree\r\n\r\nfour';
    const bytes = Buffer.from(text, 'latin1');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { seen, visit } = collector();
      const cursor = { line: 0 };
      // The first piece ends at `cut`; the rest starts where the loop stopped.
      const rest = scanLines(bytes, 0, cut, false, cursor, visit);
      scanLines(bytes, rest, bytes.length, true, cursor, visit);
      expect(seen, `cut at ${cut}`).toEqual(expected(text));
    }
  });

  it('skips header lines but keeps counting them', () => {
    const { seen, visit } = collector();
    scanAllLines(Buffer.from('header\nsecond\n\nfourth\n'), visit, 1);
    expect(seen).toEqual([
      [2, 'second'],
      [4, 'fourth'],
    ]);
  });
});

describe('InputReader', () => {
  const text = manyLines(3 << 20, 7);

  it.each([false, true])('streams a file several windows long (gzip: %s) and sees every line', async (gz) => {
    const file = writeTemp(dir, 'lines', text, gz);
    const { seen, visit } = collector();
    const input = InputReader.open(file);
    expect((await input.head()).toString('latin1', 0, 10)).toBe(text.slice(0, 10));
    await input.forEachLine(visit, 1);
    expect(seen).toEqual(expected(text, 1));
  });

  it('grows its window for a line longer than the window', async () => {
    const long = `a${'y'.repeat(1_500_000)}z`;
    const body = `first\n${long}\nlast`;
    const { seen, visit } = collector();
    await InputReader.open(writeTemp(dir, 'long', body)).forEachLine(visit);
    expect(seen).toEqual(expected(body));
  });

  it('keeps memory to its window: a 6 MiB input is never held whole', async () => {
    const big = manyLines(6 << 20, 11);
    for (const gz of [false, true]) {
      const input = InputReader.open(writeTemp(dir, 'big', big, gz));
      let largest = 0;
      let lines = 0;
      await input.forEachLine((b) => {
        largest = Math.max(largest, b.buffer.byteLength);
        lines++;
      });
      expect(lines).toBe(expected(big).length);
      expect(largest, `gzip: ${gz}`).toBeLessThanOrEqual(1 << 20);
    }
  });

  it('scans inputs one after another through one window, each from the head it read, whole() bytes kept', async () => {
    const texts = [manyLines(1 << 20, 3), 'short\nmap\n', manyLines(700_000, 5)];
    const inputs = texts.map((t, i) => InputReader.open(writeTemp(dir, `seq${i}`, t, i === 2)));
    const yaml = InputReader.open(writeTemp(dir, 'whole', texts[1]!));
    const heads = await Promise.all(inputs.map((input) => input.head()));
    heads.forEach((h, i) => expect(h.toString('latin1')).toBe(texts[i]!.slice(0, 4096)));
    const kept = await yaml.whole();
    const memories = new Set<ArrayBufferLike>();
    for (const [i, input] of inputs.entries()) {
      const { seen, visit } = collector();
      await input.forEachLine((b, s, e, l) => {
        memories.add(b.buffer);
        visit(b, s, e, l);
      });
      expect(seen, `input ${i}`).toEqual(expected(texts[i]!));
    }
    // The window (wasm memory) of the first scan, taken back and used again; not the one held by whole().
    expect(memories.size).toBe(1);
    expect(memories.has(kept.buffer)).toBe(false);
    expect(kept.toString('latin1')).toBe(texts[1]);
    yaml.close();
  });

  it('inflates alike through the zlib binding and through node:zlib, errors included', async () => {
    const gz = writeTemp(dir, 'via', text, true);
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(gz);
    const truncated = writeTemp(dir, 'via-truncated', bytes.subarray(0, bytes.length >> 1));
    const outcome = async (file: string, zlib: 'binding' | 'module', limit?: number): Promise<unknown> => {
      const { seen, visit } = collector();
      const input = InputReader.open(file, { zlib, window: 1 << 16, ...(limit ? { limit } : {}) });
      return input.forEachLine(visit, 2).then(
        () => seen,
        (e: unknown) => (e as Error).message,
      );
    };
    expect(await outcome(gz, 'binding')).toEqual(expected(text, 2));
    expect(await outcome(gz, 'module')).toEqual(expected(text, 2));
    const broken = `${truncated}:0: cannot decompress gzip data: unexpected end of file`;
    expect(await outcome(truncated, 'binding')).toBe(broken);
    expect(await outcome(truncated, 'module')).toBe(await outcome(truncated, 'binding'));
    expect(await outcome(gz, 'binding', 1 << 20)).toMatch(/decompresses to more than 1 MiB/);
    expect(await outcome(gz, 'module', 1 << 20)).toBe(await outcome(gz, 'binding', 1 << 20));
  });

  it('says read after close to a second scan of an input whose first scan failed, rather than spinning', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(writeTemp(dir, 'again', text, true));
    const truncated = writeTemp(dir, 'again-truncated', bytes.subarray(0, bytes.length >> 1));
    const input = InputReader.open(truncated);
    await expect(input.forEachLine(() => {})).rejects.toThrow(/cannot decompress gzip data/);
    await expect(input.forEachLine(() => {})).rejects.toThrow(`${truncated}:0: read after close`);
  }, 10_000);

  it('reports a broken gzip stream and one that inflates past the limit as map errors at line 0', async () => {
    const whole = writeTemp(dir, 'lines', text, true);
    const { readFileSync } = await import('node:fs');
    const gz = readFileSync(whole);
    const truncated = writeTemp(dir, 'truncated', gz.subarray(0, gz.length >> 1));
    const err1 = await InputReader.open(truncated)
      .forEachLine(() => {})
      .catch((e: unknown) => e);
    expect(err1).toBeInstanceOf(SymbolMapError);
    expect((err1 as Error).message).toBe(`${truncated}:0: cannot decompress gzip data: unexpected end of file`);
    const err2 = await InputReader.open(whole, { limit: 1 << 20 })
      .forEachLine(() => {})
      .catch((e: unknown) => e);
    expect((err2 as Error).message).toBe(`${whole}:0: decompresses to more than 1 MiB; no symbol map is that large`);
  });
});
