import { describe, expect, it } from 'vitest';
import { closeLimit, editDistance, isCloneOf } from '../../src/symbols/similar-names.js';

const d = (a: string, b: string, limit = 2) => editDistance(Buffer.from(a), Buffer.from(b), 0, b.length, limit);

describe('similar names', () => {
  it('knows compiler clones, alone and combined', () => {
    for (const c of [
      'f.isra.0',
      'f.constprop.3',
      'f.part.0',
      'f.cold',
      'f.llvm.1234567890123',
      'f.isra.0.cold',
      'f.constprop.0.isra.0',
      'f.part.0.cold',
      'f.lto_priv.0',
    ]) {
      expect(isCloneOf(c, 'f'), c).toBe(true);
    }
    for (const c of ['f', 'f.', 'fx.isra.0', 'f.isra', 'f_isra.0', 'f.something', 'g.isra.0'])
      expect(isCloneOf(c, 'f'), c).toBe(false);
  });

  it('measures edit distance, stopping past the limit', () => {
    expect(d('saved_command_line', 'saved_command_lin')).toBe(1);
    expect(d('saved_command_line', 'saved_comand_lin')).toBe(2);
    expect(d('saved_command_line', 'saved_cmd_line')).toBe(3); // limit + 1
    expect(d('nr_processes', 'nr_processes')).toBe(0);
    expect(d('abc', 'xyz', 1)).toBe(2);
    expect(closeLimit('tick')).toBe(1);
    expect(closeLimit('nr_processes')).toBe(2);
  });
});
