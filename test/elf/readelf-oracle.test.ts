/**
 * (b) The parsed model says what GNU readelf says about the same file:
 * header, section headers (flags, link, info, sizes, offsets), symbols (bind,
 * type, visibility, st_shndx with SHN_XINDEX resolved), relocations (offset,
 * type, symbol, addend) and groups. On every fixture of every arch and on a
 * sample of Debian modules.
 *
 * (f) The tests' own small reader (test/support/elf-bytes.ts, no code shared
 * with src/elf) as a second opinion on every header field, section header,
 * symbol and relocation, on every fixture including the SHN_XINDEX ones.
 *
 * (g) elfy, a third-party reader, as a third opinion on the ELF header and the
 * section headers, where elfy is right: it reads ELF64 sh_addralign/sh_entsize
 * at wrong offsets (46/54 instead of 48/56), so those are compared for ELF32
 * only; it cannot read files whose e_shnum/e_shstrndx use the SHN_XINDEX
 * escapes; its osabi/abiversion come from e_ident[6]/[7], so not compared.
 */
import { readFile } from 'node:fs/promises';
import elfy from 'elfy';
import { describe, expect, test } from 'vitest';
import { parseElf, SHN, SHT } from '../../src/elf/index.js';
import { headerFieldWidth, readElfBytes, readUint } from '../support/elf-bytes.js';
import { sampleDebianModules } from '../support/debian-kernel.js';
import { ARCHES, buildFixture, listFixtures } from '../support/fixtures.js';
import { readelfView } from '../support/readelf.js';
import { expectMatchesReadelf, linkOf, infoOf, sizeOf } from './helpers.js';

const FIXTURES = await listFixtures();

describe.each(ARCHES)('readelf oracle, %s', (arch) => {
  test.each(FIXTURES)('%s: model equals readelf -h -S -s -r -g', async (name) => {
    const path = await buildFixture(name, arch);
    const elf = parseElf(new Uint8Array(await readFile(path)), path);
    const view = await readelfView(path);
    expect(view.diagnostics, 'readelf warnings on the fixture').toEqual([]);
    expect(view.exitCode).toBe(0);
    const stats = expectMatchesReadelf(elf, view, `${arch}/${name}`, { requireKnownTypes: true });
    expect(stats.sections).toBeGreaterThan(10);
    expect(stats.symbols).toBeGreaterThan(10);
    expect(stats.relocations).toBeGreaterThan(0);
  });
});

describe('readelf oracle, Debian modules', () => {
  test('a sample of 40 modules equals readelf', async () => {
    const modules = await sampleDebianModules(40, 2);
    let relocs = 0;
    for (const m of modules) {
      const elf = parseElf(new Uint8Array(await readFile(m)), m);
      const view = await readelfView(m);
      expect(view.diagnostics, `${m}: readelf warnings`).toEqual([]);
      relocs += expectMatchesReadelf(elf, view, m).relocations;
    }
    expect(relocs).toBeGreaterThan(1000);
  });
});

describe.each(ARCHES)('second opinion of the tests\' own reader, %s', (arch) => {
  test.each(FIXTURES)('%s: header, section headers, symbols and relocations agree with elf-bytes', async (name) => {
    const path = await buildFixture(name, arch);
    const bytes = new Uint8Array(await readFile(path));
    const elf = parseElf(bytes, path);
    const own = readElfBytes(bytes, path);
    const { shape } = own;
    expect(shape.is64).toBe(elf.is64);
    expect(shape.le).toBe(elf.littleEndian);
    // Every e_* field as stored (e_shnum/e_shstrndx escapes included).
    for (const [field, at] of Object.entries(shape.field) as [keyof typeof shape.field, number][]) {
      const stored = readUint(bytes, at, headerFieldWidth(shape, field), shape.le);
      expect(stored, `${arch}/${name} e_${field}`).toBe(BigInt(elf.header[field]));
    }

    expect(own.sections.length).toBe(elf.sections.length);
    elf.sections.forEach((s, i) => {
      const o = own.sections[i]!;
      const at = `${arch}/${name} [${i}] ${s.name}`;
      expect(o.name, `${at} name`).toBe(s.name);
      expect(o.type, `${at} type`).toBe(s.type);
      expect(o.flags, `${at} flags`).toBe(s.flags);
      expect(o.addr, `${at} addr`).toBe(s.addr);
      if (i > 0) expect(o.offset, `${at} offset`).toBe(s.orig?.offset);
      if (i > 0) expect(o.size, `${at} size`).toBe(Number(sizeOf(s)));
      expect(o.link, `${at} link`).toBe(linkOf(s));
      expect(o.info, `${at} info`).toBe(s === elf.symtab ? s.infoValue : infoOf(elf, s));
      expect(BigInt(o.addralign), `${at} addralign`).toBe(s.addralign);
      expect(BigInt(o.entsize), `${at} entsize`).toBe(s.entsize);
      if (s.type !== SHT.NOBITS && i > 0) {
        const contents = Buffer.from(bytes.subarray(o.offset, o.offset + o.size));
        expect(Buffer.compare(contents, Buffer.from(s.data)), `${at} contents`).toBe(0);
      }
    });

    expect(own.symbols.length).toBe(elf.symbols.length);
    elf.symbols.forEach((sym, k) => {
      const o = own.symbols[k]!;
      const at = `${arch}/${name} symbol ${k} '${sym.name}'`;
      const fields = (x: typeof o | typeof sym) => [x.name, x.value, x.size, x.bind, x.type, x.other];
      expect(fields(o), at).toEqual(fields(sym));
      // SHN_XINDEX: the real index is in .symtab_shndx, which the own reader does not follow.
      if (o.shndx !== SHN.XINDEX) expect(o.shndx, `${at} st_shndx`).toBe(sym.shndx);
      else expect(sym.shndx, `${at} st_shndx behind SHN_XINDEX`).toBeGreaterThanOrEqual(SHN.LORESERVE);
    });

    for (const s of elf.sections.filter((x) => x.relocations)) {
      const ours = s.relocations!.map((r) => [r.offset, r.type, r.symbol.index, r.addend]);
      const theirs = own.relas(own.sections[s.index]!).map((r) => [r.offset, r.type, r.symbol.index, r.addend]);
      expect(theirs, `${arch}/${name} '${s.name}'`).toEqual(ours);
    }
  });
});

describe.each(ARCHES)('elfy third opinion, %s', (arch) => {
  test.each(FIXTURES.filter((f) => f !== 'xindex'))('%s: header and section headers agree with elfy', async (name) => {
    const path = await buildFixture(name, arch);
    const buf = await readFile(path);
    const elf = parseElf(new Uint8Array(buf), path);
    const e = elfy.parse(buf);
    const h = elf.header;
    expect(e.class).toBe(elf.is64 ? '64' : '32');
    expect(e.endian).toBe(elf.littleEndian ? 'lsb' : 'msb');
    expect(e.type).toBe(elfy.constants.type[h.type]);
    expect(e.machine).toBe(elfy.constants.machine[h.machine]);
    expect(e.version).toBe(h.version);
    expect(e.entry).toBe(Number(h.entry));
    expect(e.phoff).toBe(Number(h.phoff));
    expect(e.shoff).toBe(Number(h.shoff));
    expect(e.flags).toBe(h.flags);
    expect(e.ehsize).toBe(h.ehsize);
    expect(e.phentsize).toBe(h.phentsize);
    expect(e.phnum).toBe(h.phnum);
    expect(e.shentsize).toBe(h.shentsize);
    expect(e.shnum).toBe(h.shnum);
    expect(e.shstrndx).toBe(h.shstrndx);

    const secs = e.body.sections;
    expect(secs.length).toBe(elf.sections.length);
    elf.sections.forEach((s, i) => {
      const o = secs[i]!;
      const at = `${arch}/${name} [${i}] ${s.name}`;
      expect(o.name, `${at} name`).toBe(s.name);
      expect(o.type, `${at} type`).toBe(elfy.constants.sectType[s.type] ?? s.type);
      if (i > 0) expect(o.off, `${at} offset`).toBe(s.orig?.offset);
      expect(o.size, `${at} size`).toBe(Number(sizeOf(s)));
      expect(o.link, `${at} link`).toBe(linkOf(s));
      expect(o.info, `${at} info`).toBe(s === elf.symtab ? s.infoValue : infoOf(elf, s));
      // The low flag bits elfy decodes (it shifts a 32-bit int, so nothing above bit 30).
      const low = Number(s.flags & 0x7ffn);
      const mask = Object.entries(o.flags).reduce((m, [k, v]) => {
        const bit = {
          write: 1,
          alloc: 2,
          execinstr: 4,
          merge: 0x10,
          strings: 0x20,
          info_link: 0x40,
          link_order: 0x80,
          os_nonconforming: 0x100,
          group: 0x200,
          tls: 0x400,
        }[k];
        return v && bit ? m | bit : m;
      }, 0);
      expect(mask, `${at} flags`).toBe(low);
      if (!elf.is64) {
        expect(o.addralign, `${at} addralign`).toBe(Number(s.addralign));
        expect(o.entsize, `${at} entsize`).toBe(Number(s.entsize));
      }
      if (s.type !== SHT.NOBITS && i > 0) {
        expect(Buffer.compare(o.data, Buffer.from(s.data)), `${at} contents`).toBe(0);
      }
    });
  });
});
