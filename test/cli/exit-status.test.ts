// The CLI ends with the exit status the error carries: an error of ours is
// reported as itself with its own status, not as an internal error (4).
import { describe, expect, it, vi } from 'vitest';
import { KlpError } from '../../src/util/errors.js';
import { EXIT } from '../../src/util/exit-codes.js';
import { InputFileError } from '../../src/util/read-file.js';

const thrown: { error: unknown } = { error: undefined };
vi.mock('../../src/cli/symbols-run.js', () => ({
  runSymbols: () => Promise.reject(thrown.error),
}));

const { main } = await import('../../src/cli/main.js');

async function exitOf(error: unknown): Promise<{ code: number; stderr: string }> {
  thrown.error = error;
  let stderr = '';
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(['symbols', '--kallsyms', 'kallsyms.txt']), stderr };
  } finally {
    write.mockRestore();
  }
}

describe('exit status from the error', () => {
  it('a KlpError from `symbols`: its own status and message', async () => {
    const r = await exitOf(new InputFileError('kallsyms.txt', 'is a FIFO, not a regular file'));
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('klp-convert symbols: error: kallsyms.txt: is a FIFO, not a regular file\n');
  });

  it('a KlpError whose status is 1 keeps it (commander uses 1 for its own usage errors)', async () => {
    class Refused extends KlpError {
      readonly exitCode = EXIT.CONVERSION_FAILED;
    }
    const r = await exitOf(new Refused('kallsyms.txt: refused'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('klp-convert symbols: error: kallsyms.txt: refused\n');
  });

  it('any other error: internal error, 4', async () => {
    const r = await exitOf(new TypeError('a bug'));
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^klp-convert: internal error: TypeError: a bug/);
  });
});
