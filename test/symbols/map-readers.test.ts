import { describe, expect, it } from 'vitest';
import { SymbolMapError, loadSymbolIndex } from '../../src/symbols/index.js';
import { lines, tempDir, writeTemp } from './helpers.js';

const dir = tempDir();

async function load(maps: string[], wanted: string[], symvers: string[] = []) {
  return loadSymbolIndex({ maps, symvers }, new Set(wanted));
}

/** The SymbolMapError a promise rejects with (fails the test otherwise). */
async function mapError(p: Promise<unknown>): Promise<SymbolMapError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SymbolMapError);
  return err as SymbolMapError;
}

describe('upstream klp-convert-symbol-data.0.1 maps', () => {
  const upstream = lines(
    'klp-convert-symbol-data.0.1',
    '*vmlinux',
    'saved_command_line',
    'dup_sym',
    '__ksymtab_printk',
    'printk',
    'dup_sym',
    '*snd-hda-codec',
    'dup_sym',
    'both',
    '*test_mod',
    'both',
  );

  it('counts names per object, without ranks, and reads export marks', async () => {
    const file = writeTemp(dir, 'symbols.klp', upstream);
    const idx = await load([file], ['saved_command_line', 'dup_sym', 'printk', 'both', 'absent']);
    expect([...idx.objects]).toEqual(['vmlinux', 'snd_hda_codec', 'test_mod']);
    expect(idx.definitions('dup_sym').map((d) => [d.object, d.rank, d.origin.line])).toEqual([
      ['vmlinux', undefined, 4],
      ['vmlinux', undefined, 7],
      ['snd_hda_codec', undefined, 9],
    ]);
    expect(idx.countIn('vmlinux', 'dup_sym')).toBe(2);
    expect(idx.countIn('test_mod', 'dup_sym')).toBe(0);
    expect(idx.countIn('nosuchmod', 'dup_sym')).toBeUndefined();
    expect(idx.orderKnown('vmlinux', 'dup_sym')).toBe(false);
    expect(idx.exporter('printk')).toEqual({ name: 'printk', object: 'vmlinux', origin: { file, line: 5 } });
    expect(idx.exporter('saved_command_line')).toBeUndefined();
    expect(idx.definitions('absent')).toEqual([]);
    expect(idx.definitions('both').map((d) => d.object)).toEqual(['snd_hda_codec', 'test_mod']);
  });

  it('reads gzip transparently and tolerates CRLF', async () => {
    const file = writeTemp(dir, 'symbols.klp', upstream.replace(/\n/g, '\r\n'), true);
    const idx = await load([file], ['dup_sym']);
    expect(idx.countIn('vmlinux', 'dup_sym')).toBe(2);
    expect(idx.objects.has('snd_hda_codec')).toBe(true);
  });

  it('answers names that were not announced (slow path)', async () => {
    const file = writeTemp(dir, 'symbols.klp', upstream);
    const idx = await load([file], []);
    expect(idx.definitions('saved_command_line')).toHaveLength(1);
    expect(idx.exporter('printk')?.object).toBe('vmlinux');
    expect(idx.definitions('')).toEqual([]);
    expect(idx.countIn('vmlinux', '')).toBe(0);
  });

  it('rejects a wrong header', async () => {
    const file = writeTemp(dir, 'bad.klp', lines('klp-convert-symbol-data.0.2', '*vmlinux'));
    const err = await mapError(load([file], []));
    expect(err.message).toMatch(new RegExp(`^${file}:1: unknown symbol map format`));
  });

  it('rejects a symbol before any object, naming the line', async () => {
    const file = writeTemp(dir, 'bad.klp', lines('klp-convert-symbol-data.0.1', '', 'orphan', '*vmlinux'));
    const err = await mapError(load([file], []));
    expect(err.file).toBe(file);
    expect(err.line).toBe(3);
    expect(err.message).toBe(`${file}:3: symbol before any '*<object>' line`);
  });

  it('rejects an empty object name', async () => {
    const file = writeTemp(dir, 'bad.klp', lines('klp-convert-symbol-data.0.1', '*vmlinux', 'a', '*'));
    const err = await mapError(load([file], []));
    expect(err.message).toBe(`${file}:4: empty object name after '*'`);
  });
});

describe('/proc/kallsyms and System.map', () => {
  const kallsyms = lines(
    'ffffffff81000000 T _stext',
    'ffffffff81001000 t dup',
    'ffffffff81002000 T __ksymtab_exported_fn',
    'ffffffff81003000 T exported_fn',
    '0000000000001000 A runqueues',
    'ffffffff81004000 t dup',
    'ffffffffc0001000 t dup\t[snd-hda-codec]',
    'ffffffffc0002000 t dup\t[snd-hda-codec]',
    'ffffffffc0003000 T __ksymtab_mod_fn\t[snd-hda-codec]',
    'ffffffffc0004000 t bpf_prog_x\t[bpf]',
    'ffffffffc0005000 t dup\t[__builtin__ftrace]',
  );

  it('ranks same-named symbols per object in file order and maps brackets to objects', async () => {
    const file = writeTemp(dir, 'kallsyms', kallsyms);
    const idx = await load([file], ['dup', 'exported_fn', 'mod_fn', 'runqueues', 'bpf_prog_x']);
    expect([...idx.objects]).toEqual(['vmlinux', 'snd_hda_codec']);
    expect(idx.definitions('dup').map((d) => [d.object, d.rank, d.kind, d.origin.line])).toEqual([
      ['vmlinux', 1, 't', 2],
      ['vmlinux', 2, 't', 6],
      ['snd_hda_codec', 1, 't', 7],
      ['snd_hda_codec', 2, 't', 8],
    ]);
    expect(idx.orderKnown('vmlinux', 'dup')).toBe(true);
    expect(idx.countIn('snd_hda_codec', 'dup')).toBe(2);
    // Per-CPU variables show as 'A' in /proc/kallsyms and stay.
    expect(idx.countIn('vmlinux', 'runqueues')).toBe(1);
    expect(idx.exporter('exported_fn')?.object).toBe('vmlinux');
    expect(idx.exporter('mod_fn')?.object).toBe('snd_hda_codec');
    expect(idx.definitions('bpf_prog_x')).toEqual([]);
  });

  it('drops what kallsyms leaves out when the file is a System.map', async () => {
    const sysmap = lines(
      '00000000000001ea A text_size',
      'ffffffff81000000 T _stext',
      'ffffffff81001000 t text_size',
      'ffffffff82000000 R kallsyms_num_syms',
      'ffffffff82000010 R kallsyms_names',
      'ffffffff82000020 R kallsyms_token_table',
    );
    const file = writeTemp(dir, 'System.map', sysmap, true);
    const idx = await load([file], ['text_size', 'kallsyms_names']);
    expect(idx.definitions('text_size').map((d) => [d.rank, d.kind, d.origin.line])).toEqual([[1, 't', 3]]);
    expect(idx.countIn('vmlinux', 'kallsyms_names')).toBe(0);
  });

  it('rejects malformed lines with their line number', async () => {
    for (const [bad, line] of [
      ['ffffffff81000000 T', 2],
      ['zzzz T name', 2],
      ['ffffffff81000000  name', 2],
    ] as const) {
      const file = writeTemp(dir, 'kallsyms', lines('ffffffff81000000 T _stext', bad));
      const err = await mapError(load([file], []));
      expect(err.message).toBe(
        `${file}:${line}: expected '<hex address> <type letter> <name>' (a /proc/kallsyms or System.map line)`,
      );
    }
    const file = writeTemp(dir, 'kallsyms', lines('ffffffff81000000 T _stext', 'ffffffffc0001000 t foo [mod]'));
    expect((await mapError(load([file], []))).message).toBe(
      `${file}:2: malformed module column: expected '<name>\\t[<module>]'`,
    );
    const empty = writeTemp(dir, 'kallsyms', lines('ffffffff81000000 T _stext', 'ffffffffc0001000 t foo\t[]'));
    expect((await mapError(load([empty], []))).message).toBe(`${empty}:2: empty module name in '[]'`);
  });
});

describe('compact klp-convert-symbols 1 maps', () => {
  const compact = lines(
    'klp-convert-symbols 1',
    '# a comment',
    '*vmlinux',
    '@1 cmdline.c',
    '@2 core.c',
    'T _stext',
    't1 dup',
    'b2 dup',
    'D+ exported_var',
    'T __ksymtab_via_ksymtab',
    '*ext4 load',
    '@1 super.c',
    't-1 dup',
    't1 dup',
    't-1 only_at_load',
    'd dup',
  );

  it('reads kinds, files, export marks and ranks, including load-time ranks', async () => {
    const file = writeTemp(dir, 'map.klps', compact);
    const idx = await load([file], ['dup', 'exported_var', 'via_ksymtab', 'only_at_load']);
    expect(idx.definitions('dup')).toEqual([
      { object: 'vmlinux', name: 'dup', rank: 1, kind: 't', file: 'cmdline.c', origin: { file, line: 7 } },
      { object: 'vmlinux', name: 'dup', rank: 2, kind: 'b', file: 'core.c', origin: { file, line: 8 } },
      { object: 'ext4', name: 'dup', rank: 1, loadRank: 2, kind: 't', file: 'super.c', origin: { file, line: 14 } },
      { object: 'ext4', name: 'dup', rank: 2, loadRank: 3, kind: 'd', origin: { file, line: 16 } },
    ]);
    expect(idx.countIn('ext4', 'dup')).toBe(2);
    expect(idx.countAtLoad('ext4', 'dup')).toBe(3);
    expect(idx.countAtLoad('vmlinux', 'dup')).toBeUndefined();
    expect(idx.definitions('only_at_load')).toEqual([]);
    expect(idx.countIn('ext4', 'only_at_load')).toBe(0);
    expect(idx.countAtLoad('ext4', 'only_at_load')).toBe(1);
    expect(idx.exporter('exported_var')).toEqual({
      name: 'exported_var',
      object: 'vmlinux',
      origin: { file, line: 9 },
    });
    expect(idx.exporter('via_ksymtab')?.object).toBe('vmlinux');
    expect(idx.orderKnown('ext4', 'dup')).toBe(true);
  });

  it.each([
    ['klp-convert-symbols 2', 1, 'unsupported compact map version 2 (this klp-convert reads version 1)'],
    ['*vmlinux\n@2 a.c', 3, 'file ids must count up from 1 within an object: expected @1, found @2'],
    ['*vmlinux\n@1', 3, "expected '@<id> <source file>'"],
    ['@1 a.c', 2, "file entry before any '*<object>' line"],
    ['T orphan', 2, "symbol before any '*<object>' line"],
    ['*vmlinux\nT', 3, "expected '<type letter>[+][-][<file id>] <name>'"],
    ['*vmlinux\nTx name', 3, "expected '<type letter>[+][-][<file id>] <name>'"],
    ['*vmlinux\nt3 name', 3, "unknown file id 3 (no '@3' line in this object)"],
    [
      '*vmlinux\n!bad',
      3,
      "expected a symbol line '<type letter>[+][-][<file id>] <name>', '*<object>', '@<id> <file>' or '# comment'",
    ],
    ['*vmlinux extra words', 2, "expected '*<object>' or '*<object> load'"],
  ])('rejects %j at line %i', async (body, line, reason) => {
    const text = body.startsWith('klp-convert-symbols') ? lines(body) : lines('klp-convert-symbols 1', body);
    const file = writeTemp(dir, 'bad.klps', text);
    const err = await mapError(load([file], ['name']));
    expect(err.message).toBe(`${file}:${line}: ${reason}`);
  });
});

describe('YAML symbol maps', () => {
  const yamlMap = lines(
    'klp-convert-symbol-map: 1',
    'objects:',
    '  vmlinux:',
    '    - saved_command_line',
    '    - { name: has_steal_clock, position: 2, file: kvm.c, type: b }',
    '    - { name: has_steal_clock, position: 1, file: core.c, type: b }',
    '    - { name: _printk, exported: true, type: T }',
    '  test-mod:',
    '    - name: driver_name',
    '      type: d',
  );

  it('reads entries, orders them by position and marks exports', async () => {
    const file = writeTemp(dir, 'map.yaml', yamlMap);
    const idx = await load([file], ['has_steal_clock', 'saved_command_line', '_printk', 'driver_name']);
    expect(idx.definitions('has_steal_clock').map((d) => [d.rank, d.file, d.origin.line])).toEqual([
      [1, 'core.c', 6],
      [2, 'kvm.c', 5],
    ]);
    expect(idx.orderKnown('vmlinux', 'has_steal_clock')).toBe(true);
    expect(idx.orderKnown('vmlinux', 'saved_command_line')).toBe(false);
    expect(idx.definitions('driver_name')).toEqual([
      { object: 'test_mod', name: 'driver_name', kind: 'd', origin: { file, line: 9 } },
    ]);
    expect(idx.exporter('_printk')).toEqual({ name: '_printk', object: 'vmlinux', origin: { file, line: 7 } });
    expect(idx.countIn('test_mod', 'saved_command_line')).toBe(0);
  });

  it.each([
    ['objects:\n  vmlinux: [a]\n', 1, "missing 'klp-convert-symbol-map: 1'"],
    ['klp-convert-symbol-map: 2\n', 1, 'unsupported YAML symbol map version (this klp-convert reads 1)'],
    [
      'klp-convert-symbol-map: 1\nsymbols: []\n',
      2,
      "unknown top-level key 'symbols' (expected 'klp-convert-symbol-map' and 'objects')",
    ],
    ['klp-convert-symbol-map: 1\nobjects: [a]\n', 2, "'objects' must map object names to lists of symbols"],
    ['klp-convert-symbol-map: 1\nobjects:\n  vmlinux: a\n', 3, "object 'vmlinux' must list its symbols"],
    [
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n    - [a]\n',
      4,
      "a symbol entry must be a name or a mapping with 'name'",
    ],
    ['klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n    - { position: 1 }\n', 4, "symbol entry without 'name'"],
    [
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n    - { name: a, pos: 1 }\n',
      4,
      "unknown key 'pos' (expected name, position, file, type, exported)",
    ],
    [
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n    - { name: a, position: 0 }\n',
      4,
      "'position' must be an integer >= 1",
    ],
    [
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n    - { name: a, type: func }\n',
      4,
      "'type' must be one nm letter (T, t, D, d, B, b, R, r, W, V, ...), not 'func'",
    ],
    [
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n    - { name: a, exported: yes }\n',
      4,
      "'exported' must be true or false",
    ],
    [
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n    - { name: a, position: 1 }\n    - a\n',
      5,
      "'a' in 'vmlinux': either every entry gives 'position' or none does",
    ],
    [
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n' +
        '    - { name: a, position: 3 }\n    - { name: a, position: 1 }\n',
      4,
      "'a' in 'vmlinux': position 3 but only 2 entries of that name",
    ],
    [
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n' +
        '    - { name: a, position: 1 }\n    - { name: a, position: 1 }\n',
      5,
      "'a' in 'vmlinux': position 1 given twice",
    ],
    [
      'klp-convert-symbol-map: 1\nobjects:\n  vmlinux:\n    - a\n  vmlinux:\n    - b\n',
      5,
      'YAML error: Map keys must be unique',
    ],
    ['klp-convert-symbol-map: 1\nobjects:\n  vmlinux: [a,\n', 4, 'YAML error:'],
  ])('rejects %j at line %i', async (text, line, reason) => {
    const file = writeTemp(dir, 'bad.yaml', text);
    const err = await mapError(load([file], ['a']));
    expect(err.line).toBe(line);
    expect(err.message.startsWith(`${file}:${line}: ${reason}`)).toBe(true);
  });
});

describe('Module.symvers', () => {
  const symvers = lines(
    '0x92997ed8\t_printk\tvmlinux\tEXPORT_SYMBOL\t',
    '0x0b1beb31\tdrm_dev_put\tdrivers/gpu/drm/drm\tEXPORT_SYMBOL\t',
    '0x12345678\tsnd_fn\tsound/pci/hda/snd-hda-codec\tEXPORT_SYMBOL_GPL\tSND',
  );

  it('maps module paths to kernel module names and wins over map marks', async () => {
    const sv = writeTemp(dir, 'Module.symvers', symvers, true);
    const map = writeTemp(dir, 'symbols.klp', lines('klp-convert-symbol-data.0.1', '*other', '__ksymtab__printk'));
    const idx = await load([map], ['_printk', 'drm_dev_put', 'snd_fn'], [sv]);
    expect(idx.exporter('_printk')).toEqual({ name: '_printk', object: 'vmlinux', origin: { file: sv, line: 1 } });
    expect(idx.exporter('drm_dev_put')?.object).toBe('drm');
    expect(idx.exporter('snd_fn')?.object).toBe('snd_hda_codec');
  });

  it.each([
    [
      '0x1\tname\tvmlinux',
      "expected '<crc>\\t<symbol>\\t<module>\\t<export type>[\\t<namespace>]' (a Module.symvers line)",
    ],
    ['0x1\t\tvmlinux\tEXPORT_SYMBOL\t', 'empty CRC, symbol or module column'],
    ['1234\tname\tvmlinux\tEXPORT_SYMBOL\t', "CRC column must be hexadecimal '0x...', found '1234'"],
  ])('rejects %j', async (bad, reason) => {
    const sv = writeTemp(dir, 'Module.symvers', lines('0x92997ed8\t_printk\tvmlinux\tEXPORT_SYMBOL\t', bad));
    const err = await mapError(load([], ['name'], [sv]));
    expect(err.message).toBe(`${sv}:2: ${reason}`);
  });
});

describe('format detection and file errors', () => {
  it('names unknown formats, Module.symvers passed as a map, empty and missing files', async () => {
    const unknown = writeTemp(dir, 'x', 'hello world\n');
    expect((await mapError(load([unknown], []))).message).toMatch(
      new RegExp(`^${unknown}:1: unknown symbol map format`),
    );
    const sv = writeTemp(dir, 'Module.symvers', '0x1\ta\tvmlinux\tEXPORT_SYMBOL\t\n');
    expect((await mapError(load([sv], []))).message).toBe(
      `${sv}:1: this looks like a Module.symvers file, not a symbol map: pass it as Module.symvers`,
    );
    const empty = writeTemp(dir, 'empty', '');
    expect((await mapError(load([empty], []))).message).toBe(`${empty}:0: empty symbol map`);
    const missing = `${dir}/does-not-exist`;
    expect((await mapError(load([missing], []))).message).toBe(`${missing}:0: cannot read: no such file`);
    const badGz = writeTemp(dir, 'broken.gz', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x67, 0x61, 0x72, 0x62]));
    expect((await mapError(load([badGz], []))).message).toMatch(new RegExp(`^${badGz}:0: cannot decompress gzip data`));
  });
});

describe('several maps', () => {
  it('prefers YAML listings, then maps that know the order, then the first map', async () => {
    const upstream = writeTemp(
      dir,
      'symbols.klp',
      lines('klp-convert-symbol-data.0.1', '*vmlinux', 'a', 'a', 'b', 'c', '*mod', 'a'),
    );
    const kallsyms = writeTemp(
      dir,
      'System.map',
      lines('ffffffff81000000 t a', 'ffffffff81000001 t a', 'ffffffff81000002 t a', 'ffffffff81000003 t b'),
    );
    const yaml = writeTemp(
      dir,
      'over.yaml',
      lines(
        'klp-convert-symbol-map: 1',
        'objects:',
        '  vmlinux:',
        '    - { name: b, file: x.c }',
        '  yamlonly:',
        '    - z',
      ),
    );
    const idx = await load([upstream, kallsyms, yaml], ['a', 'b', 'c', 'z']);
    expect([...idx.objects]).toEqual(['vmlinux', 'mod', 'yamlonly']);
    // vmlinux 'a' comes from the System.map (order known), mod 'a' from the only map describing mod.
    expect(idx.definitions('a').map((d) => [d.object, d.rank, d.origin.file])).toEqual([
      ['vmlinux', 1, kallsyms],
      ['vmlinux', 2, kallsyms],
      ['vmlinux', 3, kallsyms],
      ['mod', undefined, upstream],
    ]);
    expect(idx.orderKnown('mod', 'a')).toBe(false);
    expect(idx.definitions('b')).toEqual([
      { object: 'vmlinux', name: 'b', file: 'x.c', origin: { file: yaml, line: 4 } },
    ]);
    // 'c' is not in the System.map, which is authoritative for vmlinux.
    expect(idx.countIn('vmlinux', 'c')).toBe(0);
    expect(idx.countIn('yamlonly', 'a')).toBe(0);
    expect(idx.countIn('yamlonly', 'z')).toBe(1);
  });
});
