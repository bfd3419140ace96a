import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/support/global-setup.ts'],
    // Every conversion a test makes: its written bytes, parsed again, pass the kernel's rules.
    setupFiles: ['test/support/check-written-bytes.ts'],
    // Fixture builds and qemu boots are slow on 2-core machines.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
