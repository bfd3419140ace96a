/**
 * Vitest globalSetup: builds every fixture once, before the test workers
 * start, so parallel test files do not all compile the same fixtures on a
 * cold cache. Optional: buildFixture() works without it (each worker then
 * builds what it needs; outputs are renamed into place atomically).
 * Enable with `globalSetup: ['test/support/global-setup.ts']` in vitest.config.ts.
 */
import { buildAllFixtures } from './fixtures.js';

export default async function setup(): Promise<void> {
  const t0 = performance.now();
  const built = await buildAllFixtures();
  const ms = performance.now() - t0;
  if (ms > 1000) console.log(`[fixtures] ${built.length} fixture modules ready in ${(ms / 1000).toFixed(1)} s`);
}
