// The JSON report carries each diagnostic's location as fields (file,
// section, relocationOffset, symbol), beside the message the terminal shows.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'klp-convert.js');
const SAMPLE = join(ROOT, 'symbols-maps', 'sample');
const MODULE = join(SAMPLE, 'klpt_cmdline.ko');

describe('--json diagnostics', () => {
  it('a failed conversion: every diagnostic with its location fields, the same text as on stderr', () => {
    const args = ['-e', join(SAMPLE, 'Module.symvers.gz'), '--json', '-', MODULE, join(ROOT, 'never-written.ko')];
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { diagnostics: Record<string, unknown>[] };
    expect(report.diagnostics.length).toBeGreaterThan(0);
    for (const d of report.diagnostics) {
      expect(d).toMatchObject({ severity: 'error', code: 'KLP030', file: MODULE, section: '.rela.text' });
      expect(d.relocationOffset).toMatch(/^0x[0-9a-f]+$/);
      expect(d.symbol).toBe(d.unknownSymbol);
      const at = `${MODULE}: section '.rela.text' offset ${d.relocationOffset as string}`;
      expect(d.message).toBe(`${at}: symbol '${d.symbol as string}' is not exported and is in no symbol map`);
      expect(r.stderr).toContain(`klp-convert: error: ${d.message as string} [KLP030]\n`);
    }
  });
});
