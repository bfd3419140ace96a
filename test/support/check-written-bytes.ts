// Runs before every test file (vitest.config.ts, setupFiles): each conversion a test makes in
// process has its written bytes parsed again and checked against the kernel's rules. The CLI checks
// the model it is about to write (src/convert/convert.ts), which is cheaper than parsing its own
// output on every run; here, where time is cheap, the writer's bytes for that model are checked too.
import { vi } from 'vitest';
import { parseElf } from '../../src/elf/index.js';
import { checkLivepatchElf } from '../../src/convert/verify.js';

vi.mock('../../src/convert/convert.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/convert/convert.js')>();
  const convertElf: typeof actual.convertElf = (...args) => {
    const result = actual.convertElf(...args);
    if (result.changed) {
      const file = `${args[0].fileName} (converted, parsed again)`;
      const problems = checkLivepatchElf(parseElf(result.output, file));
      if (problems.length > 0) {
        throw new Error(`the written module breaks the kernel's rules:\n${problems.join('\n')}`);
      }
    }
    return result;
  };
  return { ...actual, convertElf };
});
