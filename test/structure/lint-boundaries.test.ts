// The ESLint configuration holds the layering of src/ (eslint.config.js). These
// cases lint a one-line file placed in each layer, so a config that stops
// catching a wrong import (a bad glob, a renamed directory) fails here.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const eslint = new ESLint({ cwd: ROOT });

async function importProblems(file: string, from: string): Promise<string[]> {
  const code = `import { x } from '${from}';\nexport const y = x;\n`;
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries in eslint.config.js', () => {
  const refused: [string, string][] = [
    ['src/util/x.ts', '../elf/model.js'],
    ['src/elf/x.ts', '../symbols/index.js'],
    ['src/elf/x.ts', '../convert/plan.js'],
    ['src/symbols/x.ts', '../convert/plan.js'],
    ['src/symbols/generate/x.ts', '../../cli/main.js'],
    ['src/convert/x.ts', '../cli/report.js'],
  ];
  it.each(refused)('%s may not import %s', async (file, from) => {
    const problems = await importProblems(file, from);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/layered util < elf < symbols < convert < cli/);
  });

  const allowed: [string, string][] = [
    ['src/elf/x.ts', './model.js'],
    ['src/symbols/x.ts', '../elf/index.js'],
    ['src/symbols/generate/x.ts', '../../util/read-file.js'],
    ['src/convert/x.ts', '../symbols/index.js'],
    ['src/cli/x.ts', '../convert/plan.js'],
  ];
  it.each(allowed)('%s may import %s', async (file, from) => {
    expect(await importProblems(file, from)).toEqual([]);
  });

  it('lines over 120 columns are refused', async () => {
    const [result] = await eslint.lintText(`export const s = '${'x'.repeat(120)}';\n`, {
      filePath: join(ROOT, 'src/util/x.ts'),
    });
    expect(result!.messages.map((m) => m.ruleId)).toContain('max-len');
  });
});
