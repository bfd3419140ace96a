/** The examples in symbols-maps/examples are documentation: keep them loadable and consistent. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPositions, loadSymbolIndex } from '../../src/symbols/index.js';

const EX = join(import.meta.dirname, '..', '..', 'symbols-maps', 'examples');
const names = new Set([
  'driver_name',
  'homonym_string',
  'get_homonym_string',
  'saved_command_line',
  '_printk',
  'test_klp_get_driver_name',
]);

describe('symbols-maps/examples', () => {
  it('compact, upstream, YAML and System.map examples agree on counts', async () => {
    const maps = ['symbols.klps', 'symbols.klp', 'symbols-map.yaml'];
    const indexes = await Promise.all(
      maps.map((m) => loadSymbolIndex({ maps: [join(EX, m)], symvers: [join(EX, 'Module.symvers')] }, names)),
    );
    for (const idx of indexes) {
      expect(idx.countIn('vmlinux', 'driver_name')).toBe(2);
      expect(idx.countIn('test_klp_convert_mod', 'homonym_string')).toBe(2);
      expect(idx.exporter('_printk')?.object).toBe('vmlinux');
      expect(idx.exporter('test_klp_get_driver_name')?.object).toBe('test_klp_convert_mod');
    }
    const sysmap = await loadSymbolIndex({ maps: [join(EX, 'System.map')], symvers: [] }, names);
    expect(sysmap.definitions('driver_name').map((d) => d.rank)).toEqual([1, 2]);
    expect(sysmap.exporter('_printk')?.object).toBe('vmlinux');
    const compact = indexes[0]!;
    expect(compact.definitions('homonym_string').map((d) => [d.rank, d.file])).toEqual([
      [1, 'test_klp_convert_mod_a.c'],
      [2, 'test_klp_convert_mod_b.c'],
    ]);
    expect(compact.countAtLoad('test_klp_convert_mod', 'test_klp_convert_init')).toBe(1);
  });

  it('positions example parses', async () => {
    const hints = await loadPositions(join(EX, 'positions.yaml'));
    expect(hints.map((h) => h.name)).toEqual([
      'saved_command_line',
      'driver_name',
      'homonym_string',
      'get_homonym_string',
    ]);
    expect(hints[3]).toMatchObject({ object: 'test_klp_convert_mod', position: 2 });
  });
});
