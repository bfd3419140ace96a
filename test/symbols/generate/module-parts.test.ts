/**
 * Reading only a module's parts (module-parts.ts): with every other byte of
 * the buffer poisoned, the direct reader finds the same tables and writes the
 * same block as from the whole file, for a module and for damaged copies of
 * it; the reader either reads a file's parts or leaves it to a whole read.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModuleBlockWriter } from '../../../src/symbols/generate/module-block.js';
import { readModulePartsInto } from '../../../src/symbols/generate/module-parts.js';
import { readModuleTables } from '../../../src/symbols/generate/module-tables.js';
import { rng } from '../../support/rng.js';
import { tempDir } from '../helpers.js';

const SRC = join(import.meta.dirname, '..', 'fixtures');
const dir = tempDir('klp-module-parts-');
const CFLAGS = ['-O2', '-fno-common', '-fno-pic', '-mcmodel=kernel', '-mno-red-zone', '-ffreestanding', '-c'];
let module: Buffer;

beforeAll(() => {
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir });
  for (const f of ['mod_a', 'mod_b', 'mod_c']) run('gcc', [...CFLAGS, join(SRC, `${f}.c`), '-o', `${f}.o`]);
  run('ld', ['-r', '-o', 'm.ko', 'mod_a.o', 'mod_b.o', 'mod_c.o']);
  module = readFileSync(join(dir, 'm.ko'));
}, 120_000);

/** The block the direct reader writes from `bytes`, or null where it leaves the file to the model path. */
function block(bytes: Buffer, file: string): unknown {
  const tables = readModuleTables(bytes);
  if (tables === null) return null;
  const exports = new Map([['test_dup_mod', new Set(['homonym_fn'])]]);
  const opts = { kallsymsAll: true, moduleUnload: true };
  return (['compact', 'upstream'] as const).map((format) => {
    const b = new ModuleBlockWriter(format, opts).write(bytes, tables, file, exports);
    return { ...b, bytes: b.bytes.toString('latin1'), writeError: b.writeError?.message };
  });
}

describe('a module read in parts', () => {
  it('gives the tables and blocks of the whole file, whatever the other bytes hold', () => {
    const random = rng(0x9a475);
    const file = join(dir, 'copy.ko');
    let parts = 0;
    let direct = 0;
    for (let n = 0; n < 600; n++) {
      const bytes = Buffer.from(module);
      // Damage: none for the first, else a byte of the ELF header, of a section header, or anywhere.
      const shoff = Number(bytes.readBigUInt64LE(0x28));
      for (let m = n === 0 ? 0 : 1 + Math.floor(random() * 3); m > 0; m--) {
        const pick = (from: number, to: number) => from + Math.floor(random() * (to - from));
        const at = [pick(0, 64), pick(shoff, bytes.length), pick(0, bytes.length)][pick(0, 3)]!;
        bytes[at] = pick(0, 256);
      }
      writeFileSync(file, bytes);
      const poison = Buffer.alloc(bytes.length + 4096);
      for (let i = 0; i < poison.length; i++) poison[i] = n % 2 === 0 ? 0 : Math.floor(random() * 256);
      const read = readModulePartsInto(file, { buf: poison });
      if (read === null) continue;
      parts++;
      expect(read.length, `copy ${n}`).toBe(bytes.length);
      // What the reader does not read differs from the file (the poison), or the test would prove nothing.
      expect(read.equals(bytes), `copy ${n}: poisoned`).toBe(false);
      const want = block(bytes, file);
      if (want !== null) direct++;
      expect(block(read, file), `copy ${n}`).toEqual(want);
    }
    expect(parts).toBeGreaterThan(300);
    expect(direct).toBeGreaterThan(100);
  });
});
