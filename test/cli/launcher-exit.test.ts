// The launcher (bin/klp-convert.js) exits as soon as the CLI returns, without waiting for Node's own
// teardown, but never before a standard stream has written all it holds: a symbol map on standard
// output to a pipe that is full (a reader not reading yet) is still in Node's stream at that point.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const KALLSYMS = 'symbols-maps/sample/kallsyms-6.1.0-57-cloud-amd64.txt.gz';
const dir = mkdtempSync(join(tmpdir(), 'klp-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the launcher at exit', () => {
  it('writes the whole map to a pipe whose reader starts late', () => {
    const file = join(dir, 'map.klp');
    const args = ['symbols', '--kallsyms', KALLSYMS, '--format', 'upstream'];
    const toFile = spawnSync(process.execPath, ['bin/klp-convert.js', ...args, '-o', file], { encoding: 'utf8' });
    expect(toFile.status).toBe(0);
    const size = statSync(file).size;
    // Far more than a pipe holds (64 KiB), so most of it is still in Node's stream when the CLI returns.
    expect(size).toBeGreaterThan(1 << 20);
    const piped = spawnSync(
      'bash',
      ['-c', 'set -o pipefail; "$0" bin/klp-convert.js "$@" | { sleep 1; wc -c; }', process.execPath, ...args],
      { encoding: 'utf8' },
    );
    expect(piped.status).toBe(0);
    expect(Number(piped.stdout.trim())).toBe(size);
  });

  it('keeps the exit status of a failed run', () => {
    const r = spawnSync(process.execPath, ['bin/klp-convert.js', join(dir, 'no-such.ko'), join(dir, 'out.ko')], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(3);
  });
});
