// Every diagnostic code is used somewhere, and the README's table lists each
// with its meaning: the codes are a promise to scripts and bug reports.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../src/convert/codes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const source = readdirSync(join(ROOT, 'src/convert'))
  .filter((f) => f.endsWith('.ts') && f !== 'codes.ts')
  .map((f) => readFileSync(join(ROOT, 'src/convert', f), 'utf8'))
  .join('\n');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('diagnostic codes', () => {
  for (const [code, { meaning }] of Object.entries(DIAGNOSTIC_CODES)) {
    it(`${code} is used, and documented in the README`, () => {
      expect(source, `${code} in src/convert`).toContain(`'${code}'`);
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      expect(row, `README row for ${code}`).toBeDefined();
      expect(row).toContain(meaning.replace(/\|/g, '\\|'));
    });
  }
});
