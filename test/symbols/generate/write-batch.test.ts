/**
 * The gzipped map's write batches (gzip-map.ts WriteBatch): blocks of any
 * size, whose memory the caller reuses as soon as they are added, gzip to the
 * bytes gzipSync gives for them joined, while the batch buffers are reused.
 */
import { createGzip, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WriteBatch } from '../../../src/symbols/generate/gzip-map.js';
import { rng } from '../../support/rng.js';

describe('WriteBatch', () => {
  it('gzips blocks whose memory is reused at once to the bytes of gzipSync, reusing its buffers', async () => {
    const random = rng(0xba7c4);
    const gz = createGzip({ level: 9 });
    const out: Buffer[] = [];
    gz.on('data', (c: Buffer) => out.push(c));
    const ended = new Promise((resolveEnd) => gz.on('end', resolveEnd));
    const buffers = new Set<ArrayBufferLike>();
    let writes = 0;
    let pending = 0;
    let idle: (() => void) | undefined;
    const batch = new WriteBatch((bytes, consumed) => {
      buffers.add(bytes.buffer);
      writes++;
      pending++;
      gz.write(bytes, () => {
        consumed();
        if (--pending === 0) idle?.();
      });
    });
    const lent = Buffer.alloc(1 << 20);
    const all: Buffer[] = [];
    for (let n = 0; n < 2000; n++) {
      // Mostly module-sized blocks, a few larger than a batch (vmlinux).
      const size = n % 500 === 7 ? 300_000 + Math.floor(random() * 400_000) : Math.floor(random() * 12_000);
      for (let i = 0; i < size; i++) lent[i] = 0x61 + Math.floor(random() * 8);
      const block = lent.subarray(0, size);
      all.push(Buffer.from(block));
      batch.add(block);
      lent.fill(0, 0, size); // what the next module would do to lent bytes
      // Now and then zlib catches up, as it does while modules are read: its buffers come back.
      if (n % 100 === 99 && pending > 0) await new Promise<void>((r) => (idle = r));
    }
    batch.flush();
    gz.end();
    await ended;
    expect(Buffer.concat(out).equals(gzipSync(Buffer.concat(all), { level: 9 }))).toBe(true);
    // Batch buffers were reused: fewer of them than writes.
    expect(writes).toBeGreaterThan(40);
    expect(buffers.size).toBeLessThan(writes / 2);
  });
});
