// Which files the e2e suite loads for the bundled sample (sample.ts): the
// sample's own on its kernel, remade ones on any other; never a skip.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from './harness.js';
import { mismatchedSampleCopy, planSample, sampleKver } from './sample.js';

const BUNDLED = join(REPO_DIR, 'symbols-maps/sample');

function rebuildInputs(kver: string) {
  const dir = mkdtempSync(join(tmpdir(), 'klpt-sample-'));
  const files = {
    builtModule: join(dir, 'klpt_cmdline.ko'),
    kallsyms: join(dir, 'kallsyms.txt'),
    symvers: join(dir, 'Module.symvers'),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  return { kver, ...files };
}

describe('the bundled sample in the e2e suite', () => {
  it('names the one kernel it was made for', () => {
    const kver = sampleKver(BUNDLED);
    expect(kver).toMatch(/^6\.1\.0-\d+-cloud-amd64$/);
    expect(readdirSync(BUNDLED)).toContain(`kallsyms-${kver}.txt.gz`);
  });

  it('is used as it is on its own kernel', () => {
    const kver = sampleKver(BUNDLED)!;
    const plan = planSample(BUNDLED, rebuildInputs(kver));
    expect(plan.source).toBe('bundled');
    expect(plan.module).toBe(join(BUNDLED, 'klpt_cmdline.ko'));
    expect(plan.symbols).toBe(join(BUNDLED, `kallsyms-${kver}.txt.gz`));
  });

  it('is remade for any other kernel, including a copy that claims another ABI', () => {
    const inputs = rebuildInputs('6.1.0-99-cloud-amd64');
    expect(planSample(BUNDLED, inputs)).toMatchObject({
      source: 'rebuilt',
      module: inputs.builtModule,
      symbols: inputs.kallsyms,
      symvers: inputs.symvers,
    });
    const copy = mismatchedSampleCopy(
      BUNDLED,
      join(mkdtempSync(join(tmpdir(), 'klpt-sample-')), 'copy'),
      '6.1.0-0-cloud-amd64',
    );
    expect(sampleKver(copy)).toBe('6.1.0-0-cloud-amd64');
    const onBundledKernel = rebuildInputs(sampleKver(BUNDLED)!);
    expect(planSample(copy, onBundledKernel).source).toBe('rebuilt');
  });

  it('fails, naming the file, when an input of the chosen plan is missing', () => {
    const inputs = { ...rebuildInputs('6.1.0-99-cloud-amd64'), kallsyms: '/nonexistent/kallsyms.txt' };
    expect(() => planSample(BUNDLED, inputs)).toThrow(/missing \/nonexistent\/kallsyms\.txt/);
  });
});
