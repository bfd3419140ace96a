import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseElf, SHN } from '../../src/elf/index.js';
import { convertElf } from '../../src/convert/convert.js';
import { readelfView } from '../support/readelf.js';
import { convertFixture, errorsOf, failingConversion, hint } from './harness.js';
import { LIVEPATCH_EXPORTS as EXPORTS, LIVEPATCH_MAP } from '../support/fixture-symbols.js';
import { memoryLookup } from './lookup.js';

describe('conversion rules (x86_64 fixture "livepatch")', () => {
  it('moves relocations to unexported symbols into .klp.rela sections the kernel accepts', async () => {
    const { input, output, result } = await convertFixture('livepatch', 'x86_64', memoryLookup(LIVEPATCH_MAP, EXPORTS));
    const before = await readelfView(input);
    const after = await readelfView(output);
    expect(after.diagnostics).toEqual([]);

    const text = after.sections.find((s) => s.name === '.text')!;
    const klpText = after.sections.find((s) => s.name === '.klp.rela.vmlinux..text')!;
    const symtab = after.sections.find((s) => s.name === '.symtab')!;
    expect(klpText).toBeDefined();
    expect(klpText.typeName).toBe('RELA');
    expect(klpText.flags).toBe(0x100042n); // SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH
    expect(klpText.link).toBe(symtab.index);
    expect(klpText.info).toBe(text.index);
    expect(klpText.entsize).toBe(24n);
    expect(klpText.addralign).toBe(8n);

    // Every relocation to saved_command_line kept offset, type and addend, and now names the klp symbol.
    const relocsTo = (view: typeof before, sym: string) =>
      view.relocations.flatMap((rs) =>
        rs.entries
          .filter((e) => e.symName === sym)
          .map((e) => ({ section: rs.name, offset: e.offset, type: e.type, addend: e.addend })),
      );
    const orig = relocsTo(before, 'saved_command_line');
    const moved = relocsTo(after, '.klp.sym.vmlinux.saved_command_line,0');
    expect(orig.length).toBeGreaterThan(1);
    expect(moved.map(({ offset, type, addend }) => ({ offset, type, addend }))).toEqual(
      orig.map(({ offset, type, addend }) => ({ offset, type, addend })),
    );
    expect(moved.map((m) => m.section)).toEqual(orig.map((o) => o.section.replace(/^\.rela/, '.klp.rela.vmlinux.')));

    const klpSym = after.symbols.find((s) => s.name === '.klp.sym.vmlinux.saved_command_line,0')!;
    expect(klpSym.shndx).toBe(SHN.LIVEPATCH);
    expect(klpSym.bindName).toBe('GLOBAL');
    expect(after.symbols.filter((s) => s.name.startsWith('.klp.sym.vmlinux.saved_command_line'))).toHaveLength(1);
    expect(result.plan.converted.find((c) => c.name === 'saved_command_line')!.how).toBe('unique');
  });

  it('keeps vmlinux exports (pv_ops, _printk, __fentry__) ordinary', async () => {
    const { output, result } = await convertFixture('livepatch', 'x86_64', memoryLookup(LIVEPATCH_MAP, EXPORTS));
    const after = await readelfView(output);
    const ordinary = after.relocations
      .filter((rs) => !rs.name.startsWith('.klp.rela.'))
      .flatMap((rs) => rs.entries.map((e) => e.symName));
    for (const name of ['pv_ops', '_printk', '__fentry__']) expect(ordinary).toContain(name);
    expect(after.symbols.find((s) => s.name === 'pv_ops')!.shndx).toBe(SHN.UNDEF);
    expect(result.plan.kept.map((k) => k.name)).toEqual(expect.arrayContaining(['pv_ops', '_printk', '__fentry__']));
  });

  it('makes module exports klp relocations against that module, or keeps them with keepModuleExports', async () => {
    const conv = await convertFixture('livepatch', 'x86_64', memoryLookup(LIVEPATCH_MAP, EXPORTS));
    const after = await readelfView(conv.output);
    expect(after.symbols.map((s) => s.name)).toContain('.klp.sym.klpt_target.klpt_target_exported,0');
    expect(after.sections.map((s) => s.name)).toContain('.klp.rela.klpt_target..text');
    expect(conv.result.plan.converted.find((c) => c.name === 'klpt_target_exported')!.how).toBe('module-export');

    const kept = await convertFixture('livepatch', 'x86_64', memoryLookup(LIVEPATCH_MAP, EXPORTS), [], {
      keepModuleExports: true,
    });
    const keptView = await readelfView(kept.output);
    expect(keptView.symbols.find((s) => s.name === 'klpt_target_exported')?.shndx).toBe(SHN.UNDEF);
  });

  it('never lets a module-gated section reference a vmlinux symbol', async () => {
    const { output } = await convertFixture('livepatch', 'x86_64', memoryLookup(LIVEPATCH_MAP, EXPORTS));
    const after = await readelfView(output);
    for (const rs of after.relocations.filter((r) => r.name.startsWith('.klp.rela.klpt_target.'))) {
      for (const e of rs.entries) expect(e.symName.startsWith('.klp.sym.klpt_target.')).toBe(true);
    }
  });

  it('removes relocation sections it emptied and keeps the rest in order', async () => {
    const { input, output } = await convertFixture('livepatch', 'x86_64', memoryLookup(LIVEPATCH_MAP, EXPORTS));
    const before = await readelfView(input);
    const after = await readelfView(output);
    const emptied = before.relocations.filter(
      (rs) =>
        rs.entries.length > 0 &&
        rs.entries.every(
          (e) => LIVEPATCH_MAP.vmlinux.includes(e.symName) || LIVEPATCH_MAP.klpt_target.includes(e.symName),
        ),
    );
    expect(emptied.length).toBeGreaterThan(0);
    for (const rs of emptied) expect(after.sections.map((s) => s.name)).not.toContain(rs.name);
    for (const rs of after.relocations) expect(rs.entries.length).toBeGreaterThan(0);
  });

  it('is deterministic and idempotent: converting the output again changes nothing', async () => {
    const lookup = memoryLookup(LIVEPATCH_MAP, EXPORTS);
    const a = await convertFixture('livepatch', 'x86_64', lookup);
    const b = await convertFixture('livepatch', 'x86_64', lookup);
    expect(Buffer.compare(Buffer.from(a.result.output), Buffer.from(b.result.output))).toBe(0);
    const again = convertElf(parseElf(a.result.output, a.output), a.result.output, lookup, [], {});
    expect(again.changed).toBe(false);
    expect(Buffer.compare(Buffer.from(again.output), Buffer.from(a.result.output))).toBe(0);
  });

  it('refuses module symbols in special sections with the reason and the remedy, ' +
    'and collects every error', async () => {
    const map = {
      ...LIVEPATCH_MAP,
      vmlinux: LIVEPATCH_MAP.vmlinux.filter((n) => !n.startsWith('klpt_')),
      klpt_target: [...LIVEPATCH_MAP.klpt_target, 'klpt_target_key', 'klpt_target_fixup'],
    };
    const errors = errorsOf(await failingConversion('livepatch', 'x86_64', memoryLookup(map, EXPORTS)));
    const jump = errors.find((e) => e.includes("'__jump_table'"));
    const ex = errors.find((e) => e.includes("'__ex_table'"));
    expect(jump).toMatch(/klpt_target_key.*module klpt_target.*jump_label_add_module[\s\S]*static_key_enabled\(\)/);
    expect(ex).toMatch(/klpt_target_fixup.*module_sort_ex_table/);
    expect(jump).toMatch(/section '\.rela__jump_table' offset 0x[0-9a-f]+/);
  });

  it('allows vmlinux symbols in __jump_table (applied early, at load)', async () => {
    const { output } = await convertFixture('livepatch', 'x86_64', memoryLookup(LIVEPATCH_MAP, EXPORTS));
    const after = await readelfView(output);
    const jt = after.relocations.find((r) => r.name === '.klp.rela.vmlinux.__jump_table');
    expect(jt?.entries.map((e) => e.symName)).toContain('.klp.sym.vmlinux.tracepoint_printk_key,0');
  });

  it('reports a symbol found nowhere, naming file, section and offset', async () => {
    const map = {
      vmlinux: LIVEPATCH_MAP.vmlinux.filter((n) => n !== 'nr_threads'),
      klpt_target: LIVEPATCH_MAP.klpt_target,
    };
    const errors = errorsOf(await failingConversion('livepatch', 'x86_64', memoryLookup(map, EXPORTS)));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/livepatch-[0-9a-f]+\.ko: section '\.rela\.text' offset 0x[0-9a-f]+: symbol 'nr_threads' is not exported and is in no symbol map/);
  });

  it('asks for a position when a name is defined twice, listing 1-based candidates and the exact fix', async () => {
    const map = {
      ...LIVEPATCH_MAP,
      vmlinux: [...LIVEPATCH_MAP.vmlinux, 'nr_threads@kernel/fork.c', 'nr_threads@drivers/x.c'].filter(
        (n, i, a) => n !== 'nr_threads' || a.indexOf(n) !== i,
      ),
    };
    map.vmlinux = map.vmlinux.filter((n) => n !== 'nr_threads');
    const errors = errorsOf(await failingConversion('livepatch', 'x86_64', memoryLookup(map, EXPORTS)));
    expect(errors).toHaveLength(1);
    const e = errors[0]!;
    expect(e).toMatch(/symbol 'nr_threads' has 2 definitions in vmlinux; its position is ambiguous/);
    expect(e).toContain('vmlinux, position 1, file kernel/fork.c');
    expect(e).toContain('vmlinux, position 2, file drivers/x.c');
    expect(e).toContain('nr_threads: { object: vmlinux, position: 1 }');
    expect(e).toContain('KLP_SYMPOS(nr_threads, 1)');

    // Following the advice works, and so does naming the file.
    const byPos = await convertFixture('livepatch', 'x86_64', memoryLookup(map, EXPORTS), [
      hint('nr_threads', { object: 'vmlinux', position: 2 }),
    ]);
    expect(byPos.result.plan.converted.find((c) => c.name === 'nr_threads')!.klpName).toBe(
      '.klp.sym.vmlinux.nr_threads,2',
    );
    const byFile = await convertFixture('livepatch', 'x86_64', memoryLookup(map, EXPORTS), [
      hint('nr_threads', { file: 'fork.c' }),
    ]);
    expect(byFile.result.plan.converted.find((c) => c.name === 'nr_threads')!.klpName).toBe(
      '.klp.sym.vmlinux.nr_threads,1',
    );
  });

  it('rejects impossible positions: 0 for a duplicated name, or past the count', async () => {
    const map = {
      ...LIVEPATCH_MAP,
      vmlinux: [...LIVEPATCH_MAP.vmlinux.filter((n) => n !== 'nr_threads'), 'nr_threads', 'nr_threads'],
    };
    const zero = errorsOf(
      await failingConversion('livepatch', 'x86_64', memoryLookup(map, EXPORTS), [
        hint('nr_threads', { object: 'vmlinux', position: 0 }, 7),
      ]),
    );
    expect(zero[0]).toMatch(/positions\.yaml:7 gives position 0 for 'nr_threads' in vmlinux, but vmlinux has 2/);
    const three = errorsOf(
      await failingConversion('livepatch', 'x86_64', memoryLookup(map, EXPORTS), [
        hint('nr_threads', { object: 'vmlinux', position: 3 }),
      ]),
    );
    expect(three[0]).toMatch(/position 3 for 'nr_threads' in vmlinux, which has only 2/);
  });

  it('does not guess positions when the map does not know kallsyms order', async () => {
    const map = {
      ...LIVEPATCH_MAP,
      vmlinux: [...LIVEPATCH_MAP.vmlinux.filter((n) => n !== 'nr_threads'), 'nr_threads@a.c', 'nr_threads@b.c'],
    };
    const errors = errorsOf(
      await failingConversion('livepatch', 'x86_64', memoryLookup(map, EXPORTS, { orderKnown: false }), [
        hint('nr_threads', { file: 'a.c' }),
      ]),
    );
    expect(errors[0]).toMatch(/'nr_threads' has 2 definitions in vmlinux and the map does not know their kallsyms order/);
    expect(errors[0]).toContain('position unknown');
  });

  it('refuses a name defined in two objects until the author picks one', async () => {
    const map = { ...LIVEPATCH_MAP, klpt_target: [...LIVEPATCH_MAP.klpt_target, 'nr_threads'] };
    const errors = errorsOf(await failingConversion('livepatch', 'x86_64', memoryLookup(map, EXPORTS)));
    expect(errors[0]).toMatch(/'nr_threads' is defined in 2 objects/);
    const picked = await convertFixture('livepatch', 'x86_64', memoryLookup(map, EXPORTS), [
      hint('nr_threads', { object: 'klpt_target' }),
    ]);
    expect(picked.result.plan.converted.find((c) => c.name === 'nr_threads')!.klpName).toBe(
      '.klp.sym.klpt_target.nr_threads,0',
    );
  });

  it('warns about a module without livepatch=Y in .modinfo', async () => {
    const { result } = await convertFixture('no-livepatch-info', 'x86_64', memoryLookup(LIVEPATCH_MAP, EXPORTS)).catch(
      async () => ({ result: { diagnostics: [] } as never }),
    );
    const warnings = result.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);
    expect(warnings.some((w) => w.includes("no 'livepatch=Y'"))).toBe(true);
  });

  it('keeps e_ident, e_flags and untouched sections byte for byte', async () => {
    const { input, output } = await convertFixture(
      'livepatch',
      'ppc64le',
      memoryLookup(LIVEPATCH_MAP, { ...EXPORTS, _mcount: 'vmlinux' }),
    );
    const a = parseElf(readFileSync(input), input);
    const b = parseElf(readFileSync(output), output);
    expect(Buffer.compare(Buffer.from(b.header.ident), Buffer.from(a.header.ident))).toBe(0);
    expect(b.header.flags).toBe(a.header.flags);
    const bByName = b.sectionsByName();
    for (const s of a.sections) {
      // Relocation, symbol, string and group sections are rewritten by design (groups lose emptied .rela members).
      if (s.isRelocation || s.type === 2 || s.type === 3 || s.type === 17 || s.index === 0) continue;
      expect(Buffer.compare(Buffer.from(bByName.get(s.name)!.data), Buffer.from(s.data)), s.name).toBe(0);
    }
  });
});
