/**
 * (a) writeElf(parseElf(x)) reproduces x byte for byte: on every fixture of
 * every architecture, and on a deterministic sample of real modules from
 * Debian's 6.1 cloud kernel package.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseElf, writeElf } from '../../src/elf/index.js';
import { ensureDebianKernel, sampleDebianModules } from '../support/debian-kernel.js';
import { ARCHES, buildFixture, listFixtures, TOOLCHAINS } from '../support/fixtures.js';
import { expectSameBytes, firstDifference } from './helpers.js';

const FIXTURES = await listFixtures();

/**
 * How many Debian modules to round-trip: all of them by default (the cloud
 * flavour has about 1,100; about 2 s), or KLPT_DEBIAN_MODULES=N for a sample.
 */
const DEBIAN_SAMPLE = Number(process.env.KLPT_DEBIAN_MODULES ?? 0);

describe.each(ARCHES)('round trip, %s fixtures', (arch) => {
  test.each(FIXTURES)('%s: write(parse(x)) === x', async (name) => {
    const path = await buildFixture(name, arch);
    const bytes = new Uint8Array(await readFile(path));
    const elf = parseElf(bytes, path);
    // The fixture is what the arch says it is (guards against a wrong toolchain).
    const tc = TOOLCHAINS[arch];
    expect(elf.is64, 'ELF class').toBe(tc.elfClass === 64);
    expect(elf.littleEndian, 'byte order').toBe(tc.endian === 'le');
    expect(elf.machine, 'e_machine').toBe(tc.machine);
    expectSameBytes(bytes, writeElf(elf), `${arch}/${name}`);
    // A second cycle on the output is stable too.
    const again = writeElf(parseElf(writeElf(elf), `${path} (rewritten)`));
    expectSameBytes(bytes, again, `${arch}/${name} second cycle`);
  });

  test('parseElf does not keep a view that breaks when the caller reuses its buffer', async () => {
    const path = await buildFixture('livepatch', arch);
    const file = await readFile(path);
    // A Node Buffer slice with a non-zero byteOffset inside a bigger ArrayBuffer.
    const big = Buffer.alloc(file.length + 64, 0xee);
    file.copy(big, 37);
    const slice = big.subarray(37, 37 + file.length);
    const out = writeElf(parseElf(slice, path));
    expectSameBytes(new Uint8Array(file), out, `${arch}/livepatch from an offset Buffer`);
  });
});

describe('round trip, Debian 6.1 cloud kernel modules', () => {
  let modules: string[] = [];
  let release = '';
  beforeAll(async () => {
    const k = await ensureDebianKernel();
    release = k.release;
    modules = await sampleDebianModules(DEBIAN_SAMPLE === 0 ? Number.MAX_SAFE_INTEGER : DEBIAN_SAMPLE);
  });

  test('every sampled module round-trips byte for byte', async () => {
    expect(modules.length, 'modules found in the package').toBeGreaterThanOrEqual(
      DEBIAN_SAMPLE === 0 ? 300 : Math.min(DEBIAN_SAMPLE, 300),
    );
    const failures: string[] = [];
    let bytesTotal = 0;
    const t0 = performance.now();
    // Read ahead a few files while parsing: I/O and CPU overlap.
    const reads = modules.map((m) => () => readFile(m));
    let next = reads.slice(0, 8).map((r) => r());
    for (let i = 0; i < modules.length; i++) {
      const buf = await next[0]!;
      next = next.slice(1);
      const more = reads[i + 8];
      if (more) next.push(more());
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      bytesTotal += bytes.length;
      try {
        const out = writeElf(parseElf(bytes, modules[i]!));
        const d = firstDifference(bytes, out);
        if (d) failures.push(`${basename(modules[i]!)}: ${d}`);
      } catch (err) {
        failures.push(`${basename(modules[i]!)}: ${(err as Error).name}: ${(err as Error).message}`);
      }
    }
    const ms = performance.now() - t0;
    console.log(
      `[roundtrip] ${modules.length} modules of ${release} ` +
        `(${(bytesTotal / 1e6).toFixed(1)} MB) in ${ms.toFixed(0)} ms`,
    );
    expect(failures.slice(0, 20), `${failures.length} of ${modules.length} modules did not round-trip`).toEqual([]);
  });
});
