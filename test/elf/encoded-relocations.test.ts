/**
 * Relocation tables stay as the input's bytes until someone asks for their
 * entries: reading which symbols they use, checking references and writing
 * them back need no decoding, and a table whose symbols keep their indices is
 * copied. What a caller sees (entries, answers, output bytes) is the same as
 * when every table is decoded.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { type ElfFile, type ElfSymbol, STT, parseElf, writeElf } from '../../src/elf/index.js';
import { convertElf } from '../../src/convert/convert.js';
import type { SymbolLookup } from '../../src/convert/symbol-source.js';

const SAMPLE = 'symbols-maps/sample/klpt_cmdline.ko';
const input = new Uint8Array(readFileSync(SAMPLE));
const parse = (): ElfFile => parseElf(input, SAMPLE);
const tables = (elf: ElfFile) => elf.sections.filter((s) => s.hasRelocations);

function decodeAll(elf: ElfFile): void {
  for (const s of elf.sections) void s.relocations;
}

describe('tables as read', () => {
  test('start encoded, and decode on first use to one entry per record', () => {
    const elf = parse();
    const debugInfo = elf.sections.find((s) => s.name === '.rela.debug_info')!;
    expect(tables(elf).length).toBeGreaterThan(10);
    for (const s of tables(elf)) expect(s.encodedRelocations).not.toBeNull();
    expect(debugInfo.relocations!.length).toBe(debugInfo.data.length / 24);
    expect(debugInfo.encodedRelocations).toBeNull();
    expect(debugInfo.hasRelocations).toBe(true);
  });

  test('say which symbols they use as the decoded entries do', () => {
    const encoded = parse();
    const decoded = parse();
    decodeAll(decoded);
    const sections = tables(encoded);
    for (const [k, s] of sections.entries()) {
      const d = tables(decoded)[k]!;
      for (const [i, sym] of encoded.symbols.entries()) {
        const same = decoded.symbols[i]!;
        expect(s.hasRelocationAgainst((x) => x === sym)).toBe(d.hasRelocationAgainst((x) => x === same));
      }
      expect(s.encodedRelocations).not.toBeNull();
    }
  });

  test('an assigned list replaces the encoded one', () => {
    const s = tables(parse())[0]!;
    s.relocations = [];
    expect(s.encodedRelocations).toBeNull();
    expect(s.hasRelocationAgainst(() => true)).toBe(false);
  });
});

describe('writing', () => {
  test('an unedited module is written back byte for byte without decoding a table', () => {
    const elf = parse();
    expect(Buffer.from(writeElf(elf)).equals(Buffer.from(input))).toBe(true);
    for (const s of tables(elf)) expect(s.encodedRelocations).not.toBeNull();
  });

  test('when symbols are renumbered, encoded tables are written as decoded ones are', () => {
    const edit = (elf: ElfFile): Uint8Array => {
      // A file symbol no relocation uses: every later symbol moves down by one.
      const unused = (s: ElfSymbol) => !tables(elf).some((t) => t.hasRelocationAgainst((x) => x === s));
      const file = elf.symbols.find((s) => s.type === STT.FILE && unused(s))!;
      elf.removeSymbols((s) => s === file);
      return writeElf(elf);
    };
    const decoded = parse();
    decodeAll(decoded);
    const fromDecoded = edit(decoded);
    const fromEncoded = edit(parse());
    expect(fromEncoded.length).toBe(input.length);
    expect(Buffer.from(fromEncoded).equals(Buffer.from(fromDecoded))).toBe(true);
    expect(Buffer.from(fromEncoded).equals(Buffer.from(input))).toBe(false);
    // Every entry still names the symbol it named before.
    const names = (elf: ElfFile) => tables(elf).map((s) => s.relocations!.map((r) => r.symbol.name).join(','));
    expect(names(parseElf(fromEncoded, 'edited.ko'))).toEqual(names(parse()));
  });
});

test('a conversion decodes only the tables that hold candidates', () => {
  const vmlinux = (name: string) => [{ object: 'vmlinux', name, rank: 1, origin: { file: 'map', line: 1 } }];
  const lookup: SymbolLookup = {
    definitions: vmlinux,
    countIn: (o) => (o === 'vmlinux' ? 1 : undefined),
    orderKnown: () => true,
    exporter: () => undefined,
    objects: new Set(['vmlinux']),
  };
  const elf = parse();
  const result = convertElf(elf, input, lookup, [], {});
  expect(result.changed).toBe(true);
  const debugInfo = elf.sections.find((s) => s.name === '.rela.debug_info')!;
  expect(debugInfo.encodedRelocations).not.toBeNull();
  const decoded = parse();
  decodeAll(decoded);
  const again = convertElf(decoded, input, lookup, [], {});
  expect(Buffer.from(result.output).equals(Buffer.from(again.output))).toBe(true);
});
