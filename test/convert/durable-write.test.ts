// When the output is flushed to the disk (fsync) before it is renamed into place: when it
// replaces the input (in == out), whose old bytes are then the only copy of the module; not
// for an output beside the input, which a rerun makes again (as ld and objcopy leave theirs).
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const fsyncs = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fsyncSync = (fd: number): void => {
    fsyncs.count++;
    fs.fsyncSync(fd);
  };
  return { ...fs, default: { ...fs, fsyncSync }, fsyncSync };
});

const { convertFile } = await import('../../src/convert/run.js');
const { writeFileAtomic } = await import('../../src/util/atomic-write.js');

const SAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'symbols-maps', 'sample');
const MODULE = join(SAMPLE, 'klpt_cmdline.ko');
const inputs = () => ({
  symbols: [join(SAMPLE, readdirSync(SAMPLE).find((f) => f.startsWith('kallsyms-'))!)],
  symvers: [join(SAMPLE, 'Module.symvers.gz')],
});

describe('flushing the output before the rename', () => {
  beforeEach(() => {
    fsyncs.count = 0;
  });

  it('writeFileAtomic flushes only when asked to (durable), and writes the same bytes either way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klp-durable-'));
    await writeFileAtomic(join(dir, 'a'), Buffer.from('one'));
    expect(fsyncs.count).toBe(0);
    await writeFileAtomic(join(dir, 'b'), Buffer.from('two'), 0o644, { durable: true });
    expect(fsyncs.count).toBe(1);
    expect([readFileSync(join(dir, 'a'), 'utf8'), readFileSync(join(dir, 'b'), 'utf8')]).toEqual(['one', 'two']);
    expect(readdirSync(dir).sort()).toEqual(['a', 'b']);
  });

  it('a conversion in place (in == out) is flushed; beside the input, or over an older output, not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klp-durable-'));
    const beside = join(dir, 'out.ko');
    await convertFile({ input: MODULE, output: beside, ...inputs() });
    expect(fsyncs.count).toBe(0);
    await convertFile({ input: MODULE, output: beside, ...inputs() });
    expect(fsyncs.count).toBe(0);

    const inPlace = join(dir, 'lp.ko');
    copyFileSync(MODULE, inPlace);
    const result = await convertFile({ input: inPlace, output: inPlace, ...inputs() });
    expect(result.written).toBe(true);
    expect(fsyncs.count).toBe(1);
    expect(readFileSync(inPlace).equals(readFileSync(beside))).toBe(true);
  });
});
