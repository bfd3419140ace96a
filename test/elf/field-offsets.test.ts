/**
 * ELF field offsets and record sizes live in src/elf/layout.ts only: the
 * reader and the writer name them (headerFieldOffset, readRel, writeRel,
 * SECTION_WORD_SIZE, ...) instead of counting bytes such as
 * `l.is64 ? 52 : 40` or `at + 2 * w` themselves.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { REPO_ROOT } from '../support/fixtures.js';

const USERS = ['read.ts', 'write.ts', 'finalize.ts', 'emit.ts'];

/** A choice between class sizes, or arithmetic with a literal of 2 or more (1 is a count, not an offset). */
const HAND_OFFSET = /is64\s*\?|[+*]\s*(?:[2-9]|\d{2,})\b|\b(?:[2-9]|\d{2,})\s*[+*]/;

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

test.each(USERS)('src/elf/%s takes every field offset from layout.ts', async (file) => {
  const source = withoutComments(await readFile(join(REPO_ROOT, 'src', 'elf', file), 'utf8'));
  const found = source.split('\n').filter((line) => HAND_OFFSET.test(line.replace(/`[^`]*`|'[^']*'/g, "''")));
  expect(found).toEqual([]);
});

test('the check recognises the offsets it forbids', () => {
  for (const line of ['const at = l.is64 ? 52 : 40;', 'r.word(at + 2 * w, l.is64)', 'w.u32(4 + k * 4, m)']) {
    expect(HAND_OFFSET.test(line), line).toBe(true);
  }
  expect(HAND_OFFSET.test('Math.max(n, index + 1)')).toBe(false);
});
