/**
 * The CLI's direct writer (generateMapBytes: module blocks written from the
 * module's bytes) against the model path (generateSymbolMap + writeMap): the
 * same bytes, or the same error, for whole modules and for thousands of
 * damaged copies; and the direct reader takes a damaged file only where
 * parseElf takes it too.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseElf } from '../../src/elf/index.js';
import { type GenerateInputs, generateSymbolMap } from '../../src/symbols/generate/build-map.js';
import { generateGzippedMap, streamInNameOrder } from '../../src/symbols/generate/gzip-map.js';
import { generateMapBytes } from '../../src/symbols/generate/map-bytes.js';
import { readModuleTables } from '../../src/symbols/generate/module-tables.js';
import { type OutputFormat, writeMap } from '../../src/symbols/generate/write-map.js';
import { rng } from '../support/rng.js';
import { tempDir } from './helpers.js';

const SRC = join(import.meta.dirname, 'fixtures');
const dir = tempDir('klp-map-bytes-');
const MODULE_CFLAGS = ['-O2', '-fno-common', '-fno-pic', '-mcmodel=kernel', '-mno-red-zone'];
MODULE_CFLAGS.push('-fno-asynchronous-unwind-tables', '-fno-stack-protector', '-ffreestanding', '-c');
let module: Buffer;
let symvers: string;

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
}

/** Output bytes, or the error's class and message: what a user would see. */
async function outcome(make: () => Promise<Buffer>): Promise<string> {
  try {
    return (await make()).toString('latin1');
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

async function bothWays(inputs: GenerateInputs, format: OutputFormat): Promise<[string, string]> {
  const model = await outcome(async () => Buffer.from(writeMap((await generateSymbolMap(inputs)).model, format)));
  const direct = await outcome(async () => Buffer.concat((await generateMapBytes(inputs, format)).chunks));
  return [direct, model];
}

beforeAll(() => {
  for (const f of ['mod_a', 'mod_b', 'mod_c', 'other']) {
    run('gcc', [...MODULE_CFLAGS, join(SRC, `${f}.c`), '-o', `${f}.o`]);
  }
  run('ld', ['-r', '-o', 'test-dup-mod.ko', 'mod_a.o', 'mod_b.o', 'mod_c.o']);
  run('ld', ['-r', '-o', 'other-mod.ko', 'other.o']);
  module = readFileSync(join(dir, 'test-dup-mod.ko'));
  symvers = join(dir, 'Module.symvers');
  const exports = ['0x1\tother_entry\tother-mod', '0x2\thomonym_fn\ttest-dup-mod'];
  writeFileSync(symvers, exports.map((l) => `${l}\tEXPORT_SYMBOL\t\n`).join(''));
}, 120_000);

describe('generateMapBytes', () => {
  it('writes what the model path writes, in both formats, and reads these modules directly', async () => {
    expect(readModuleTables(module)).not.toBeNull();
    const modules = [join(dir, 'test-dup-mod.ko'), join(dir, 'other-mod.ko')];
    const inputs = { modules, symvers: [symvers], kallsymsAll: true };
    for (const format of ['compact', 'upstream'] as const) {
      const [direct, model] = await bothWays(inputs, format);
      expect(direct).toBe(model);
      expect(direct).toContain(format === 'compact' ? '\nT+ other_entry\n' : '\n__ksymtab_other_entry\n');
    }
  });

  it('gzips to the bytes of gzipSync over the model path, whether or not module names match file names', async () => {
    // 'zz-renamed.ko' says name=test_dup_mod in .modinfo: read in file-name order it would come last,
    // so the streamed way gives up and the plain way (input order, then gzip) decides.
    copyFileSync(join(dir, 'test-dup-mod.ko'), join(dir, 'zz-renamed.ko'));
    const base = [join(dir, 'test-dup-mod.ko'), join(dir, 'other-mod.ko')];
    for (const modules of [base, [join(dir, 'zz-renamed.ko'), ...base], [...base, join(dir, 'test-dup-mod.ko')]]) {
      for (const format of ['compact', 'upstream'] as const) {
        const inputs = { modules, symvers: [symvers], kallsymsAll: true };
        const { model, warnings } = await generateSymbolMap(inputs);
        const got = await generateGzippedMap(inputs, format, 9);
        const want = gzipSync(Buffer.from(writeMap(model, format)), { level: 9 });
        expect(got.data.equals(want), `${format}: ${modules.join(' ')}`).toBe(true);
        expect(got.warnings).toEqual(warnings);
        expect(got.objects).toBe(model.objects.length);
        expect(got.symbols).toBe(model.objects.reduce((n, o) => n + o.symbols.length, 0));
      }
    }
    // The streamed way is taken when names match file names, and only then.
    const stream = (modules: string[]) =>
      streamInNameOrder({ modules, symvers: [symvers], kallsymsAll: true }, 'compact', 9);
    expect(await stream(base)).not.toBeNull();
    expect(await stream([join(dir, 'zz-renamed.ko'), ...base])).toBeNull();
  });

  it('agrees with the model path on 1,500 damaged copies: same bytes or same error', { timeout: 120_000 }, async () => {
    const elf = parseElf(module, 'm.ko', { relocations: false });
    const shoff = Number(elf.header.shoff);
    const symtab = elf.symtab!.orig!;
    const strtab = elf.symtab!.link!.orig!;
    const random = rng(0x5eed10);
    const pick = (n: number) => Math.floor(random() * n);
    const mutate = (b: Buffer): void => {
      const sym = symtab.offset + (1 + pick(symtab.size / 24 - 1)) * 24;
      switch (pick(8)) {
        case 0: // a byte of the ELF header
          b[pick(64)] = pick(256);
          break;
        case 1: // a byte of a section header
          b[shoff + pick(elf.sections.length * 64)] = pick(256);
          break;
        case 2: // st_shndx
          b.writeUInt16LE([pick(elf.sections.length + 2), 0xfff1, 0xfff2, 0xffff, pick(65536)][pick(5)]!, sym + 6);
          break;
        case 3: // st_info: binding and type
          b[sym + 4] = pick(256);
          break;
        case 4: // st_name
          b.writeUInt32LE(random() < 0.5 ? pick(strtab.size + 4) : pick(2 ** 32), sym);
          break;
        case 5: // a name with a line break or a byte beyond ASCII
          b[strtab.offset + pick(strtab.size)] = [0x0a, 0x0d, 0xe9, 0x20, 0x00][pick(5)]!;
          break;
        case 6: // the file cut short
          b.fill(0, b.length - pick(b.length));
          break;
        default: // any byte
          b[pick(b.length)] = pick(256);
      }
    };
    let direct = 0;
    let refused = 0;
    for (let n = 0; n < 1500; n++) {
      const bytes = Buffer.from(module);
      for (let m = 1 + pick(3); m > 0; m--) mutate(bytes);
      const file = join(dir, `damaged-${n % 10}.ko`);
      writeFileSync(file, bytes);
      let parsed = true;
      try {
        parseElf(bytes, file, { relocations: false });
      } catch {
        parsed = false;
        refused++;
      }
      const tables = readModuleTables(bytes);
      if (tables !== null) {
        direct++;
        expect(parsed, `mutant ${n}: the direct reader takes a file parseElf refuses`).toBe(true);
      }
      const format = n % 2 === 0 ? 'compact' : 'upstream';
      const [got, want] = await bothWays({ modules: [file], symvers: [symvers], kallsymsAll: n % 3 !== 0 }, format);
      expect(got, `mutant ${n} (${format})`).toBe(want);
    }
    // Both kinds of file occur, so both halves of the claim were tested.
    expect(direct).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(300);
  });
});
