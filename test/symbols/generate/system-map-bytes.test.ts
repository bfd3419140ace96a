/**
 * vmlinux from a System.map's bytes (the generator's fast path) against the
 * text reader it stands in for: the same object, or the same error, for
 * simple files (read by the fast path) and for every kind of line it leaves
 * to the text reader.
 */
import { describe, expect, it } from 'vitest';
import { parseSimpleSystemMap } from '../../../src/symbols/generate/system-map-lines.js';
import {
  vmlinuxFromSystemMap,
  vmlinuxFromSystemMapBytes,
} from '../../../src/symbols/generate/vmlinux-symbols.js';

function outcome(read: () => unknown): unknown {
  try {
    return { object: read() };
  } catch (err) {
    return { error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

/** Both readers on `text`, for both CONFIG_KALLSYMS_ALL settings. */
function expectSame(text: string): void {
  for (const all of [true, false]) {
    const viaText = outcome(() => vmlinuxFromSystemMap(text, 'System.map', all));
    const viaBytes = outcome(() => vmlinuxFromSystemMapBytes(Buffer.from(text, 'utf8'), 'System.map', all));
    expect(viaBytes, `${all ? '' : 'no '}KALLSYMS_ALL: ${JSON.stringify(text.slice(0, 200))}`).toEqual(viaText);
  }
}

const SIMPLE = [
  '0000000000000000 D __per_cpu_start',
  '0000000000000000 D fixed_percpu_data',
  '00000000000001ea A kexec_control_code_size',
  'ffffffff81000000 T _stext',
  'ffffffff81000000 T startup_64',
  'ffffffff81000000 W weak_at_stext',
  'ffffffff81000000 T __start_marker',
  'ffffffff81000000 T ___three',
  'ffffffff81000000 T _one',
  'ffffffff81000010 t dup',
  'ffffffff81000020 t dup',
  'FFFFFFFF80FFFFFF t Upper_hex_lower_address',
  '0000000100000000 t above_4g',
  '00000000ffffffff t below_4g',
  'ffffffff81001000 T _etext',
  'ffffffff81001000 t at_etext',
  'ffffffff82000000 d __crc_dropped',
  'ffffffff82000008 d __kstrtab_dropped',
  'ffffffff82000010 U undefined_dropped',
  'ffffffff82000018 D kallsyms_names',
  'ffffffff83000000 T _sinittext',
  'ffffffff83000010 t init_fn',
  'ffffffff83001000 T _einittext',
  '1 t one_digit',
  'ffffffff84000000 r name.with.dots$and~more!',
];

describe('vmlinux from a System.map read as bytes', () => {
  it('reads plain ASCII maps itself, with the text reader’s order and filter', () => {
    const text = `${SIMPLE.join('\n')}\n`;
    expect(parseSimpleSystemMap(Buffer.from(text))).not.toBeNull();
    expectSame(text);
    // Without a final newline, with CRLF line ends, with blank lines.
    expectSame(SIMPLE.join('\n'));
    expectSame(`${SIMPLE.join('\r\n')}\r\n`);
    expectSame(`\n${SIMPLE.join('\n\n')}\n\n`);
    expect(parseSimpleSystemMap(Buffer.from(`${SIMPLE.join('\r\n')}\r\n`))).not.toBeNull();
  });

  it('orders 64-bit addresses by both halves', () => {
    const lines = SIMPLE.slice().reverse();
    const names = vmlinuxFromSystemMapBytes(Buffer.from(lines.join('\n')), 'System.map').symbols.map((s) => s.name);
    expect(names.slice(2, 6)).toEqual(['one_digit', 'below_4g', 'above_4g', 'Upper_hex_lower_address']);
    expectSame(lines.join('\n'));
  });

  it('leaves every other line to the text reader: same result or same error', () => {
    const odd = [
      'ffffffff81000000 t caf\u00e9', // non-ASCII name: decoded as UTF-8
      'ffffffff81000000 t tab\there',
      'ffffffff81000000 t ctrl\u0001char',
      'ffffffff81000000 \u00e9 letter',
      '00000000ffffffff81000000 t seventeen_plus_digits',
      'ffffffff81000000  t two_spaces',
      'ffffffff81000000 t',
      'ffffffff81000000 t ',
      'ffffffff81000000 tt name',
      'xfffffff81000000 t bad_hex',
      ' ffffffff81000000 t leading_space',
      'ffffffff81000000 t trailing_space ',
      'ffffffff81000000 t two\r\r',
      'ffffffff81000000 t nbsp\u00a0name',
      'ffffffff81000000 B The real System.map is in the linux-image-6.1.0-dbg package',
    ];
    for (const line of odd) {
      const text = `ffffffff81000000 T _stext\n${line}\nffffffff81001000 T _etext\n`;
      expect(parseSimpleSystemMap(Buffer.from(text)), JSON.stringify(line)).toBeNull();
      expectSame(text);
    }
  });

  it('agrees with the text reader on random maps', () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const kinds = 'tTdDrRbBWwVvAaUN';
    const names = ['a', 'b', '_a', '__a', '__start_x', '__x_end', '__crc_a', 'kallsyms_names', '$x', '.Lx', 'w'];
    for (let round = 0; round < 50; round++) {
      const lines: string[] = [];
      for (let i = 0; i < 200; i++) {
        const address = (0xffffffff81000000n + BigInt(rand(40)) * (rand(2) === 0 ? 1n : 0x100000000n)).toString(16);
        lines.push(`${address} ${kinds[rand(kinds.length)]} ${names[rand(names.length)]}${rand(3) === 0 ? i : ''}`);
      }
      expectSame(`${lines.join('\n')}\n`);
    }
  });
});
