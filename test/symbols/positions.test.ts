import { describe, expect, it } from 'vitest';
import { SymbolMapError, loadPositions, sourceFileMatches, symbolTypeOfKind } from '../../src/symbols/index.js';
import { lines, tempDir, writeTemp } from './helpers.js';

const dir = tempDir();

describe('positions file', () => {
  it('reads every hint form with its line', async () => {
    const file = writeTemp(
      dir,
      'positions.yaml',
      lines(
        '# hints for names the source cannot annotate',
        'saved_command_line: vmlinux',
        'has_steal_clock: { object: vmlinux, position: 2 }',
        'm_show: { object: vmlinux, file: fs/proc/task_mmu.c }',
        'driver_name:',
        '  object: test-mod',
        '  type: object',
        'unique_one: { position: 0 }',
      ),
    );
    expect(await loadPositions(file)).toEqual([
      { name: 'saved_command_line', object: 'vmlinux', origin: { file, line: 2 } },
      { name: 'has_steal_clock', object: 'vmlinux', position: 2, origin: { file, line: 3 } },
      { name: 'm_show', object: 'vmlinux', file: 'fs/proc/task_mmu.c', origin: { file, line: 4 } },
      { name: 'driver_name', object: 'test_mod', type: 'object', origin: { file, line: 5 } },
      { name: 'unique_one', position: 0, origin: { file, line: 8 } },
    ]);
  });

  it('accepts an empty file and gzip', async () => {
    expect(await loadPositions(writeTemp(dir, 'empty.yaml', '# nothing yet\n'))).toEqual([]);
    const gz = writeTemp(dir, 'p.yaml', 'a: vmlinux\n', true);
    expect(await loadPositions(gz)).toEqual([{ name: 'a', object: 'vmlinux', origin: { file: gz, line: 1 } }]);
  });

  it.each([
    ['- a\n- b\n', 1, 'a positions file must map symbol names to an object or to { object, position, file, type }'],
    ['a: vmlinux\nb:\n', 2, "'b' needs an object name or a mapping { object, position, file, type }"],
    ['a: [vmlinux]\n', 1, "'a' needs an object name or a mapping { object, position, file, type }"],
    ['a: {}\n', 1, "'a' gives no object, position, file or type"],
    ['a:\n  object: vmlinux\n  pos: 2\n', 3, "unknown key 'pos' for 'a' (expected object, position, file, type)"],
    ['a: { object: vmlinux, position: -1 }\n', 1, "'position' must be an integer >= 0"],
    ['a: { object: vmlinux, position: two }\n', 1, "'position' must be an integer >= 0"],
    ['a:\n  object: vmlinux\n  type: variable\n', 3, "'type' must be 'func' or 'object', not 'variable'"],
    ['a: { object: 12 }\n', 1, "'object' must be a non-empty string"],
    ['a: { file: "" }\n', 1, "'file' must be a non-empty string"],
    ['a: vmlinux\na: test_mod\n', 2, 'YAML error: Map keys must be unique'],
    ['a: { object: vmlinux\n', 2, 'YAML error:'],
    ['? [x]\n: vmlinux\n', 1, 'a symbol name must be a non-empty string'],
  ])('rejects %j at line %i', async (text, line, reason) => {
    const file = writeTemp(dir, 'bad.yaml', text);
    const err = await loadPositions(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SymbolMapError);
    expect((err as SymbolMapError).line).toBe(line);
    expect((err as SymbolMapError).message.startsWith(`${file}:${line}: ${reason}`)).toBe(true);
  });

  it('reports a missing file', async () => {
    await expect(loadPositions(`${dir}/nope.yaml`)).rejects.toThrow(`${dir}/nope.yaml:0: cannot read: no such file`);
  });
});

describe('hint matching helpers', () => {
  it('matches source files by basename or path suffix, on / boundaries', () => {
    expect(sourceFileMatches('fs/proc/cmdline.c', 'cmdline.c')).toBe(true);
    expect(sourceFileMatches('cmdline.c', 'fs/proc/cmdline.c')).toBe(true);
    expect(sourceFileMatches('proc/cmdline.c', 'fs/proc/cmdline.c')).toBe(true);
    expect(sourceFileMatches('cmdline.c', 'cmdline.c')).toBe(true);
    expect(sourceFileMatches('line.c', 'cmdline.c')).toBe(false);
    expect(sourceFileMatches('init/cmdline.c', 'fs/proc/cmdline.c')).toBe(false);
  });

  it('classifies nm letters as functions or objects', () => {
    expect(['T', 't', 'W', 'i'].map(symbolTypeOfKind)).toEqual(['func', 'func', 'func', 'func']);
    expect(['D', 'd', 'B', 'b', 'R', 'r', 'V'].map(symbolTypeOfKind)).toEqual(Array(7).fill('object'));
    expect([undefined, 'A', 'U', '?'].map(symbolTypeOfKind)).toEqual([undefined, undefined, undefined, undefined]);
  });
});
