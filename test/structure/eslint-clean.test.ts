// The whole tree passes ESLint (eslint.config.js: the layering of src/ as
// import boundaries, lines within 120 columns, typescript-eslint's
// recommended rules). Run as a test so CI counts it like any other check;
// `make check` runs the same lint for a quick answer while editing.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('ESLint', () => {
  it('finds no problem in src/, test/, scripts/ and bin/', async () => {
    const results = await new ESLint({ cwd: ROOT }).lintFiles(['src', 'test', 'scripts', 'bin', '*.js']);
    const problems = results.flatMap((r) =>
      r.messages.map((m) => `${relative(ROOT, r.filePath)}:${m.line}:${m.column}: ${m.message} (${m.ruleId})`),
    );
    expect(results.length, 'files linted').toBeGreaterThan(100);
    expect(problems).toEqual([]);
  }, 300_000);
});
