// How the symbol index groups one name's hits: by object, objects in map order (the first map's order
// first), whichever map found them first; and what it answers for names and maps without hits.
import { describe, expect, it } from 'vitest';
import { loadSymbolIndex } from '../../src/symbols/index.js';
import { lines, tempDir, writeTemp } from './helpers.js';

const dir = tempDir();

describe('symbol index: one name across objects and maps', () => {
  // The upstream map fixes the object order (vmlinux, mod_a, mod_b) and has no 'n'; the kallsyms
  // dump, which knows the order and so answers for the modules, lists mod_b's 'n' before mod_a's.
  const upstream = lines('klp-convert-symbol-data.0.1', '*vmlinux', 'x', '*mod_a', 'y', '*mod_b', 'y');
  const kallsyms = lines(
    'ffffffff81000000 T x',
    'ffffffffc0001000 t n\t[mod_b]',
    'ffffffffc0002000 t n\t[mod_a]',
    'ffffffffc0003000 t n\t[mod_a]',
    'ffffffffc0004000 t once\t[mod_b]',
  );

  it('lists the objects in map order, not in the order the hits came', async () => {
    const maps = [writeTemp(dir, 'symbols.klp', upstream), writeTemp(dir, 'kallsyms', kallsyms)];
    const idx = await loadSymbolIndex({ maps, symvers: [] }, new Set(['n', 'once', 'absent']));
    expect([...idx.objects]).toEqual(['vmlinux', 'mod_a', 'mod_b']);
    expect(idx.definitions('n').map((d) => [d.object, d.rank, d.origin.line])).toEqual([
      ['mod_a', 1, 3],
      ['mod_a', 2, 4],
      ['mod_b', 1, 2],
    ]);
    expect(idx.definitions('once').map((d) => [d.object, d.rank])).toEqual([['mod_b', 1]]);
    expect(idx.countIn('mod_a', 'n')).toBe(2);
    expect(idx.countIn('mod_b', 'once')).toBe(1);
  });

  it('answers a name no map has, and an object a map describes without the name', async () => {
    const maps = [writeTemp(dir, 'symbols.klp', upstream), writeTemp(dir, 'kallsyms', kallsyms)];
    const idx = await loadSymbolIndex({ maps, symvers: [] }, new Set(['absent', 'x']));
    expect(idx.definitions('absent')).toEqual([]);
    expect(idx.countIn('mod_a', 'absent')).toBe(0);
    expect(idx.countIn('elsewhere', 'absent')).toBeUndefined();
    expect(idx.orderKnown('mod_a', 'absent')).toBe(true);
    expect(idx.exporter('absent')).toBeUndefined();
    expect(idx.countIn('mod_a', 'x')).toBe(0);
    expect(idx.definitions('x').map((d) => [d.object, d.kind])).toEqual([['vmlinux', 'T']]);
  });
});
