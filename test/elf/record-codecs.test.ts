/**
 * The record readers and writers read a whole record after one bounds check,
 * and r_info of ELF64 as two 32-bit halves; the answers must be those of the
 * field-by-field, bigint forms: the same values, the same wrapping, and the
 * same errors where a record runs past the end of the file.
 */
import { describe, expect, test } from 'vitest';
import { ByteReader, ByteWriter, StringTableText, readCString } from '../../src/elf/bytes.js';
import { ElfFormatError } from '../../src/elf/errors.js';
import {
  LAYOUT32, LAYOUT64, joinRelInfo, readRel, readSym, relEntrySize, relSymbolIndex, relSymbolWords, splitRelInfo,
  writeRel,
} from '../../src/elf/layout.js';
import { StringTableBuilder } from '../../src/elf/strtab.js';

const ENDIANS = [true, false] as const;

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('relocation entries', () => {
  for (const le of ENDIANS) {
    test(`ELF64 ${le ? 'LSB' : 'MSB'}: r_info halves match the bigint split, addend is signed`, () => {
      const bytes = randomBytes(24 * 64, le ? 1 : 2);
      const r = new ByteReader(bytes, le, 'x.ko');
      for (let at = 0; at < bytes.length; at += 24) {
        const e = readRel(r, LAYOUT64, at, true);
        const info = r.u64(at + 8);
        expect({ sym: e.sym, type: e.type }).toEqual(splitRelInfo(info, true));
        expect(e.offset).toBe(r.u64(at));
        expect(e.addend).toBe(r.signedWord(at + 16, true));
        expect(readRel(r, LAYOUT64, at, false).addend).toBe(0n);
      }
    });

    test(`ELF64 ${le ? 'LSB' : 'MSB'}: writing r_info as halves gives joinRelInfo's bytes`, () => {
      const cases = [
        { sym: 0, type: 0 }, { sym: 1, type: 2 }, { sym: 0xffffffff, type: 0xffffffff }, { sym: 2009, type: 4 },
      ];
      for (const { sym, type } of cases) {
        const out = new Uint8Array(24);
        writeRel(new ByteWriter(out, le), LAYOUT64, 0, true, { offset: 0x1234n, type, addend: -4n }, sym);
        const r = new ByteReader(out, le, 'x.ko');
        expect(r.u64(8)).toBe(joinRelInfo(sym, type, true));
        expect(r.u64(0)).toBe(0x1234n);
        expect(r.signedWord(16, true)).toBe(-4n);
      }
    });
  }

  test('a table read as words gives the r_sym of every entry as relSymbolIndex does, where it may be', () => {
    const host = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    for (const l of [LAYOUT32, LAYOUT64]) {
      for (const rela of [false, true]) {
        const size = relEntrySize(l, rela);
        const bytes = randomBytes(8 + size * 40, size + (rela ? 1 : 0));
        for (const le of ENDIANS) {
          const r = new ByteReader(bytes, le, 'x.ko');
          for (const at of [0, 4, 8]) {
            const fast = relSymbolWords(r, l, at, 40, rela);
            if (le !== host) {
              expect(fast, 'only in the host byte order').toBeUndefined();
              continue;
            }
            const { words, stride, first, shift } = fast!;
            const read = Array.from({ length: 40 }, (_, k) => words[k * stride + first]! >>> shift);
            expect(read).toEqual(Array.from({ length: 40 }, (_, k) => relSymbolIndex(r, l, at + k * size)));
          }
          // Not 4-aligned: no word view.
          expect(relSymbolWords(r, l, 2, 40, rela)).toBeUndefined();
          // A Buffer that is a slice of a larger one: the slice's own offset counts.
          const slice = new ByteReader(new Uint8Array(bytes.buffer, 2, bytes.length - 2), le, 'x.ko');
          expect(relSymbolWords(slice, l, 0, 4, rela)).toBeUndefined();
        }
      }
    }
  });

  test('an entry past the end of the file fails on the field that runs out, as before', () => {
    const bytes = new Uint8Array(20); // a RELA entry needs 24
    const r = new ByteReader(bytes, true, 'short.ko');
    expect(() => readRel(r, LAYOUT64, 0, true)).toThrow(ElfFormatError);
    expect(() => readRel(r, LAYOUT64, 0, true)).toThrow(/64-bit field \(8 bytes\)/);
    expect(readRel(r, LAYOUT64, 0, false).offset).toBe(0n); // REL fits
    expect(() => readRel(r, LAYOUT32, 12, true)).toThrow(/32-bit field \(4 bytes\)/);
    expect(relEntrySize(LAYOUT64, true)).toBe(24);
  });
});

describe('symbol entries', () => {
  for (const l of [LAYOUT32, LAYOUT64]) {
    for (const le of ENDIANS) {
      test(`ELF${l.is64 ? 64 : 32} ${le ? 'LSB' : 'MSB'}: one check, the fields of the layout table`, () => {
        const bytes = randomBytes(l.symSize * 16, l.symSize + (le ? 0 : 1));
        const r = new ByteReader(bytes, le, 'x.ko');
        for (let at = 0; at < bytes.length; at += l.symSize) {
          const s = readSym(r, l, at);
          const word = (o: number): bigint => (l.is64 ? r.u64(at + o) : BigInt(r.u32(at + o)));
          expect(s.name).toBe(r.u32(at));
          if (l.is64) {
            expect([s.info, s.other, s.shndx]).toEqual([r.u8(at + 4), r.u8(at + 5), r.u16(at + 6)]);
            expect([s.value, s.size]).toEqual([word(8), word(16)]);
          } else {
            expect([s.value, s.size]).toEqual([word(4), word(8)]);
            expect([s.info, s.other, s.shndx]).toEqual([r.u8(at + 12), r.u8(at + 13), r.u16(at + 14)]);
          }
        }
      });
    }
  }

  test('an entry past the end of the file fails on the field that runs out', () => {
    const r = new ByteReader(new Uint8Array(30), true, 'short.ko');
    expect(() => readSym(r, LAYOUT64, 8)).toThrow(/64-bit field \(8 bytes\) extends past the end/);
    expect(() => readSym(r, LAYOUT64, 28)).toThrow(/32-bit field/);
  });
});

describe('64-bit writes', () => {
  test('values outside 0..2^64-1 wrap as BigInt.asUintN does', () => {
    for (const v of [0n, 1n, (1n << 64n) - 1n, 1n << 64n, -1n, -4n, (1n << 70n) + 5n]) {
      const out = new Uint8Array(8);
      new ByteWriter(out, true).u64(0, v);
      expect(new ByteReader(out, true, 'x').u64(0)).toBe(BigInt.asUintN(64, v));
    }
  });
});

describe('string tables', () => {
  const table = new Uint8Array([0, 0x61, 0x62, 0, 0xe9, 0xff, 0, 0, 0x61, 0x62, 0, 0x63, 0x64]); // 'cd' unterminated

  test('StringTableText answers as readCString at every offset', () => {
    const text = new StringTableText(table);
    for (let off = -1; off <= table.length + 1; off++) expect(text.at(off)).toBe(readCString(table, off));
    expect(text.at(4)).toBe('\u00e9\u00ff');
  });

  test('the builder finds the first copy of a string and never the unterminated tail', () => {
    const b = new StringTableBuilder(table);
    expect(b.add('ab')).toBe(1);
    expect(b.add('b')).toBe(table.length + 1); // suffixes are not indexed, and a NUL terminates 'cd' first
    expect(b.add('\u00e9\u00ff')).toBe(4);
    expect(b.add('cd')).toBe(table.length + 3);
    expect(b.add('')).toBe(0);
  });

  test('appended names are written one byte a code unit, the low byte, each with its NUL, after the table', () => {
    const b = new StringTableBuilder(table);
    const long = `${'\u0141'.repeat(30)}x${'y'.repeat(30)}`; // long enough for the native encoder
    const at = [b.add('cd'), b.add('\u20acz'), b.add(long)];
    const bytes = b.bytes();
    expect(at).toEqual([table.length + 1, table.length + 4, table.length + 7]);
    expect([...bytes.subarray(0, table.length)]).toEqual([...table]);
    const tail = [0, 0x63, 0x64, 0, 0xac, 0x7a, 0, ...Array(30).fill(0x41), 0x78, ...Array(30).fill(0x79), 0];
    expect([...bytes.subarray(table.length)]).toEqual(tail);
    expect(new StringTableBuilder(table).bytes()).toBe(table); // nothing added: the input's own bytes
  });

  test('an original name is matched by its bytes, a character above 0xff by the low byte written for it', () => {
    const b = new StringTableBuilder(new Uint8Array([0, 0x01, 0x62, 0, 0x63]));
    expect(b.matchesOriginal(1, '\x01b')).toBe(true);
    expect(b.matchesOriginal(1, '\u0101b')).toBe(true);
    expect(b.matchesOriginal(1, 'xb')).toBe(false);
    expect(b.matchesOriginal(2, 'b')).toBe(true);
    expect(b.matchesOriginal(1, '\x01')).toBe(false); // not NUL-terminated there
    expect(b.matchesOriginal(4, 'c')).toBe(false); // the unterminated tail
  });
});
