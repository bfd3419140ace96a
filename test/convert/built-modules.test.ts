// Conversion rules, one behaviour per test, on modules described in a few
// lines (test/support/elf-builder.ts) instead of compiled fixtures: each test
// shows the whole input it is about, and reads the output with the tests' own
// ELF reader (test/support/elf-bytes.ts).
import { describe, expect, it } from 'vitest';
import { convertElf, scanCandidates, symbolsToLookUp } from '../../src/convert/convert.js';
import { ConversionFailed, type Diagnostic } from '../../src/convert/diagnostics.js';
import type { PlanOptions } from '../../src/convert/plan.js';
import type { PositionHintInput, SymbolLookup } from '../../src/convert/symbol-source.js';
import { parseElf } from '../../src/elf/index.js';
import { buildElf, type Machine, type ModuleSpec } from '../support/elf-builder.js';
import {
  type ElfContents,
  readElfBytes,
  SHF_ALLOC,
  SHF_INFO_LINK,
  SHF_RELA_LIVEPATCH,
  SHN_LIVEPATCH,
  SHN_UNDEF,
  SHT_RELA,
} from '../support/elf-bytes.js';
import { hint } from './harness.js';
import { memoryLookup } from './lookup.js';

const R_X86_64_PLT32 = 4;
const R_X86_64_PC32 = 2;
const R_PPC64_REL24 = 10;
const R_390_PLT32DBL = 20;
const R_PPC_REL24 = 10;
const R_386_PC32 = 2;
const PPC_BL = '48000001';
const PPC_NOP = '60000000';

/** A livepatch whose patched_fn calls each of `callees` from .text, one 8-byte slot per call. */
function callerOf(machine: Machine, type: number, callees: string[], text?: string): ModuleSpec {
  return {
    machine,
    sections: [{ name: '.text', data: text ?? 8 * callees.length }],
    symbols: [{ name: 'patched_fn', section: '.text', size: 8 * callees.length }, ...callees.map((name) => ({ name }))],
    relocations: callees.map((symbol, k) => ({ section: '.text', offset: 8 * k, type, symbol, addend: -4 })),
  };
}

/** patched_fn on x86_64 calling each of `callees` (R_X86_64_PLT32). */
function x86Caller(...callees: string[]): ModuleSpec {
  return callerOf('x86_64', R_X86_64_PLT32, callees);
}

/** A lookup where vmlinux defines `names` once each and exports none. */
function inVmlinux(...names: string[]): SymbolLookup {
  return memoryLookup({ vmlinux: names });
}

type Outcome = { ok: true; out: ElfContents; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

function convert(
  spec: ModuleSpec,
  lookup: SymbolLookup,
  hints: PositionHintInput[] = [],
  opts: PlanOptions = {},
): Outcome {
  const bytes = buildElf(spec);
  try {
    const r = convertElf(parseElf(bytes, 'lp.ko'), bytes, lookup, hints, opts);
    return { ok: true, out: readElfBytes(r.output, 'lp.ko (converted)'), diagnostics: r.diagnostics };
  } catch (e) {
    if (e instanceof ConversionFailed) return { ok: false, diagnostics: e.diagnostics };
    throw e;
  }
}

function converted(o: Outcome): ElfContents {
  if (!o.ok) throw new Error(`conversion failed: ${o.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return o.out;
}

function errorCodes(o: Outcome): string[] {
  expect(o.ok, 'the conversion must fail').toBe(false);
  return o.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
}

/** Relocations of every section named `name`, as [offset, type, symbol, addend]. */
function entries(elf: ElfContents, name: string): [bigint, number, string, bigint][] {
  const sec = elf.section(name);
  if (!sec) throw new Error(`no section '${name}' in ${elf.sections.map((s) => s.name).join(' ')}`);
  return elf.relas(sec).map((r) => [r.offset, r.type, r.symbol.name, r.addend]);
}

describe('conversion of built modules: where a relocation goes', () => {
  it('an unexported vmlinux symbol moves to .klp.rela.vmlinux..text against .klp.sym.vmlinux.<name>,0', () => {
    const out = converted(convert(x86Caller('nr_threads'), inVmlinux('nr_threads')));
    const klpSym = '.klp.sym.vmlinux.nr_threads,0';
    expect(entries(out, '.klp.rela.vmlinux..text')).toEqual([[0n, R_X86_64_PLT32, klpSym, -4n]]);
    expect(out.section('.rela.text'), 'the emptied .rela.text is gone').toBeUndefined();
    const sym = out.symbols.find((s) => s.name === '.klp.sym.vmlinux.nr_threads,0')!;
    expect(sym.shndx).toBe(SHN_LIVEPATCH);
    expect(out.symbols.some((s) => s.name === 'nr_threads'), 'the plain undefined symbol is gone').toBe(false);
  });

  it('a call to an exported symbol stays an ordinary relocation to the undefined name', () => {
    const lookup = memoryLookup({ vmlinux: ['_printk'] }, { _printk: 'vmlinux' });
    const elf = converted(convert(x86Caller('_printk'), lookup));
    expect(entries(elf, '.rela.text')).toEqual([[0n, R_X86_64_PLT32, '_printk', -4n]]);
    expect(elf.symbols.find((s) => s.name === '_printk')!.shndx).toBe(SHN_UNDEF);
    expect(elf.sections.filter((s) => s.name.startsWith('.klp.'))).toEqual([]);
  });

  it('a symbol of another module goes to .klp.rela.<module>..text against .klp.sym.<module>.<name>,0', () => {
    const lookup = memoryLookup({ vmlinux: [], klpt_target: ['klpt_secret'] });
    const out = converted(convert(callerOf('x86_64', R_X86_64_PC32, ['klpt_secret']), lookup));
    const klpSym = '.klp.sym.klpt_target.klpt_secret,0';
    expect(entries(out, '.klp.rela.klpt_target..text')).toEqual([[0n, R_X86_64_PC32, klpSym, -4n]]);
  });

  it('an exported and an unexported callee split one .rela.text: the export stays, the other moves', () => {
    const lookup = memoryLookup({ vmlinux: ['_printk', 'nr_threads'] }, { _printk: 'vmlinux' });
    const out = converted(convert(x86Caller('_printk', 'nr_threads'), lookup));
    expect(entries(out, '.rela.text')).toEqual([[0n, R_X86_64_PLT32, '_printk', -4n]]);
    const klpSym = '.klp.sym.vmlinux.nr_threads,0';
    expect(entries(out, '.klp.rela.vmlinux..text')).toEqual([[8n, R_X86_64_PLT32, klpSym, -4n]]);
  });

  it('a name defined twice takes the position the positions file gives', () => {
    const lookup = memoryLookup({ vmlinux: ['dup@a.c', 'dup@b.c'] });
    const out = converted(convert(x86Caller('dup'), lookup, [hint('dup', { object: 'vmlinux', position: 2 })]));
    expect(entries(out, '.klp.rela.vmlinux..text')).toEqual([[0n, R_X86_64_PLT32, '.klp.sym.vmlinux.dup,2', -4n]]);
  });

  it('keepModuleExports leaves a module export ordinary', () => {
    const lookup = memoryLookup({ vmlinux: [], klpt_target: ['klpt_api'] }, { klpt_api: 'klpt_target' });
    const out = converted(convert(x86Caller('klpt_api'), lookup, [], { keepModuleExports: true }));
    expect(entries(out, '.rela.text')).toEqual([[0n, R_X86_64_PLT32, 'klpt_api', -4n]]);
  });
});

describe('conversion of built modules: what the applier moves, keeps and drops', () => {
  const R_X86_64_64 = 1;

  it('a relocation of a non-allocated section to a converted symbol stays there, against the klp symbol', () => {
    const spec = x86Caller('nr_threads');
    spec.sections!.push({ name: '.debug_info', flags: '', data: 8 });
    spec.relocations!.push({ section: '.debug_info', offset: 0, type: R_X86_64_64, symbol: 'nr_threads' });
    const bytes = buildElf(spec);
    const r = convertElf(parseElf(bytes, 'lp.ko'), bytes, inVmlinux('nr_threads'), [], {});
    const out = readElfBytes(r.output, 'lp.ko (converted)');
    const klpSym = '.klp.sym.vmlinux.nr_threads,0';
    expect(entries(out, '.klp.rela.vmlinux..text')).toEqual([[0n, R_X86_64_PLT32, klpSym, -4n]]);
    expect(entries(out, '.rela.debug_info')).toEqual([[0n, R_X86_64_64, klpSym, 0n]]);
    expect(r.applied?.movedRelocations).toBe(1);
  });

  it('a relocation to annotation data is dropped (KLP016), not counted as moved', () => {
    const spec: ModuleSpec = {
      machine: 'x86_64',
      // One KLP_SYMPOS entry (pointer, position 0) for nr_threads; .text calls it and refers to the entry.
      sections: [{ name: '.text', data: 16 }, { name: '.klp.module_relocs.vmlinux', data: 12 }],
      symbols: [
        { name: 'patched_fn', section: '.text', size: 16 },
        { name: 'nr_threads' },
        { name: 'entry', section: '.klp.module_relocs.vmlinux', type: 'object', size: 12 },
      ],
      relocations: [
        { section: '.klp.module_relocs.vmlinux', offset: 0, type: R_X86_64_64, symbol: 'nr_threads' },
        { section: '.text', offset: 0, type: R_X86_64_PLT32, symbol: 'nr_threads', addend: -4 },
        { section: '.text', offset: 8, type: R_X86_64_PC32, symbol: 'entry', addend: -4 },
      ],
    };
    const bytes = buildElf(spec);
    const r = convertElf(parseElf(bytes, 'lp.ko'), bytes, inVmlinux('nr_threads'), [], {});
    const out = readElfBytes(r.output, 'lp.ko (converted)');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['KLP016']);
    expect(r.applied?.movedRelocations).toBe(1);
    const klpSym = '.klp.sym.vmlinux.nr_threads,0';
    expect(entries(out, '.klp.rela.vmlinux..text')).toEqual([[0n, R_X86_64_PLT32, klpSym, -4n]]);
    expect(out.section('.rela.text'), 'moved and dropped, nothing left').toBeUndefined();
    expect(out.sections.filter((s) => s.name.includes('module_relocs'))).toEqual([]);
  });

  it('a scan of the candidates found once for the look-up gives the conversion it would find itself', () => {
    const lookup = memoryLookup({ vmlinux: ['_printk', 'nr_threads'] }, { _printk: 'vmlinux' });
    const bytes = buildElf(x86Caller('_printk', 'nr_threads'));
    const elf = parseElf(bytes, 'lp.ko');
    const scan = scanCandidates(elf);
    expect([...symbolsToLookUp(elf, scan)]).toEqual(['_printk', 'nr_threads']);
    expect([...symbolsToLookUp(elf, scan)]).toEqual([...symbolsToLookUp(elf)]);
    const shared = convertElf(elf, bytes, lookup, [], {}, scan);
    const own = convertElf(parseElf(bytes, 'lp.ko'), bytes, lookup, [], {});
    expect(shared.changed).toBe(true);
    expect(Buffer.from(shared.output).equals(Buffer.from(own.output))).toBe(true);
    expect(shared.plan.converted.map((c) => c.klpName)).toEqual(['.klp.sym.vmlinux.nr_threads,0']);
  });
});

describe('conversion of built modules: the klp relocation section the kernel reads', () => {
  // A call on each machine; on ppc a bl and its nop, in the machine's byte order.
  const calls = {
    x86_64: { type: R_X86_64_PLT32, text: undefined },
    s390x: { type: R_390_PLT32DBL, text: undefined },
    ppc64le: { type: R_PPC64_REL24, text: '01000048' + '00000060' },
    ppc32: { type: R_PPC_REL24, text: PPC_BL + PPC_NOP },
  } as const;
  for (const machine of Object.keys(calls) as (keyof typeof calls)[]) {
    it(`${machine}: RELA, flags ALLOC | INFO_LINK | RELA_LIVEPATCH, sh_link .symtab, sh_info .text`, () => {
      const { type, text } = calls[machine];
      const out = converted(convert(callerOf(machine, type, ['nr_threads'], text), inVmlinux('nr_threads')));
      const klp = out.section('.klp.rela.vmlinux..text')!;
      expect(klp.type).toBe(SHT_RELA);
      expect(klp.flags).toBe(SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH);
      expect(out.sections[klp.link]!.name).toBe('.symtab');
      expect(out.sections[klp.info]!.name).toBe('.text');
      expect(klp.entsize).toBe(out.shape.is64 ? 24 : 12);
      expect(entries(out, '.klp.rela.vmlinux..text')).toEqual([[0n, type, '.klp.sym.vmlinux.nr_threads,0', -4n]]);
    });
  }
});

describe('conversion of built modules: refusals, each with its code', () => {
  it('KLP030: a symbol no map has and no one exports', () => {
    expect(errorCodes(convert(x86Caller('nowhere'), inVmlinux()))).toEqual(['KLP030']);
  });

  it('KLP032: a name defined twice in vmlinux, with nothing to say which', () => {
    const o = convert(x86Caller('dup'), memoryLookup({ vmlinux: ['dup@a.c', 'dup@b.c'] }));
    expect(errorCodes(o)).toEqual(['KLP032']);
  });

  it('KLP024: a position beyond the number of definitions', () => {
    const o = convert(x86Caller('dup'), inVmlinux('dup', 'dup'), [hint('dup', { object: 'vmlinux', position: 3 })]);
    expect(errorCodes(o)).toEqual(['KLP024']);
  });

  it('KLP044: ppc64 REL24 call to a livepatch symbol without a nop after it', () => {
    const o = convert(callerOf('ppc64', R_PPC64_REL24, ['nr_threads'], PPC_BL + PPC_BL), inVmlinux('nr_threads'));
    expect(errorCodes(o)).toEqual(['KLP044']);
  });

  it('ppc64 (big-endian) REL24 call followed by a nop converts', () => {
    const spec = callerOf('ppc64', R_PPC64_REL24, ['nr_threads'], PPC_BL + PPC_NOP);
    const out = converted(convert(spec, inVmlinux('nr_threads')));
    const klpSym = '.klp.sym.vmlinux.nr_threads,0';
    expect(entries(out, '.klp.rela.vmlinux..text')).toEqual([[0n, R_PPC64_REL24, klpSym, -4n]]);
  });

  it('KLP041: i386 keeps relocations in SHT_REL, which the kernel never applies as klp relocations', () => {
    const spec = callerOf('i386', R_386_PC32, ['nr_threads']);
    const noAddends = { ...spec, relocations: spec.relocations!.map((r) => ({ ...r, addend: 0 })) };
    const o = convert(noAddends, inVmlinux('nr_threads'));
    expect(errorCodes(o)).toEqual(['KLP041']);
  });

  it('KLP003 (a warning): a module without livepatch=Y in .modinfo still converts', () => {
    const o = convert({ ...x86Caller('nr_threads'), modinfo: [] }, inVmlinux('nr_threads'));
    expect(o.ok).toBe(true);
    expect(o.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'KLP003']]);
  });
});
