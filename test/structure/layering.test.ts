// The layers of src/ and what each may import (issue 11: elf imports nothing
// of ours but util (the error base); symbols only elf and util; convert never cli). A test rather than
// a convention, so a new file cannot quietly break it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Which layers each layer may import besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  elf: ['util'],
  symbols: ['elf', 'util'],
  convert: ['elf', 'symbols', 'util'],
  cli: ['elf', 'symbols', 'convert', 'util'],
  'index.ts': ['elf', 'symbols', 'convert', 'util'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const layerOf = (file: string): string => relative(SRC, file).split('/')[0]!;

describe('layering of src/', () => {
  it('every file is in a known layer, and imports only the layers below it', () => {
    const problems: string[] = [];
    for (const file of files(SRC)) {
      const layer = layerOf(file);
      if (!(layer in ALLOWED)) {
        problems.push(`${relative(SRC, file)}: not in a known layer (${Object.keys(ALLOWED).join(', ')})`);
        continue;
      }
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = layerOf(resolve(dirname(file), m[1]!));
        if (target !== layer && !ALLOWED[layer]!.includes(target)) {
          problems.push(`${relative(SRC, file)} imports ${m[1]} (${layer} -> ${target})`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
