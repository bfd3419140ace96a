import { type ElfFile, type ElfSymbol, type Relocation, SHF, SHN, SHT } from '../elf/index.js';
import { archRelocationRule, hasArchRules } from './arch-rules.js';
import { type Diagnostic, type DiagnosticLocation, diagnostic, hex } from './diagnostics.js';
import { KLP_RELA_PREFIX, klpRelaObject, parseKlpSymbolName } from './naming.js';

/**
 * Check a livepatch module against the rules the kernel applies when it
 * loads it (kernel/livepatch/core.c, kernel/module/main.c). Used on our own
 * output before it is written, and by `klp-convert check`.
 * One KLP001 error per violation, with its location; empty means the kernel will accept the format.
 */
export function livepatchRuleViolations(elf: ElfFile): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const file = elf.fileName;
  const problem = (at: DiagnosticLocation, description: string, unrendered?: DiagnosticLocation): void => {
    problems.push(diagnostic('error', 'KLP001', at, description, unrendered ? { unrendered } : {}));
  };
  // One function for every relocation's violations, not a closure made for each relocation.
  const relocationProblem = (at: DiagnosticLocation, k: number, r: Relocation, description: string): void =>
    problem({ ...at, symbol: r.symbol.name }, `relocation ${k} (offset ${hex(r.offset)}): ${description}`, {
      relocationOffset: r.offset,
    });
  // Per symbol and per relocation type, not per relocation: a symbol has many relocations.
  const klpName = memoized((sym: ElfSymbol) => parseKlpSymbolName(sym.name));
  /** What the loop below checks of a relocation's symbol holds: SHN_LIVEPATCH, a klp name, the right object. */
  const klpSymbolFits = (sym: ElfSymbol, obj: string): boolean => {
    if (sym.special !== SHN.LIVEPATCH || sym.section) return false;
    const parsed = klpName(sym);
    return parsed !== undefined && (obj === 'vmlinux' || parsed.object !== 'vmlinux');
  };
  const archRule = memoized((type: number) => archRelocationRule(elf.machine, type));
  for (const s of elf.sections) {
    const at = { file, section: s.name };
    const obj = klpRelaObject(s.name);
    if (obj === undefined) {
      if (s.name.startsWith(KLP_RELA_PREFIX)) problem(at, 'name is not .klp.rela.<object>.<section>');
      if ((s.flags & SHF.RELA_LIVEPATCH) !== 0n) {
        problem(at, 'has SHF_RELA_LIVEPATCH but is not named .klp.rela.<object>.<section>');
      }
      continue;
    }
    if (s.type !== SHT.RELA) problem(at, 'type is not SHT_RELA');
    const need = SHF.ALLOC | SHF.RELA_LIVEPATCH;
    // Without SHF_RELA_LIVEPATCH the loader applies it as a plain RELA against st_value 0;
    // without SHF_ALLOC a module-specific section is read after it was freed.
    if ((s.flags & need) !== need) problem(at, `flags ${hex(s.flags)} lack SHF_ALLOC|SHF_RELA_LIVEPATCH`);
    if (s.link !== elf.symtab) problem(at, 'sh_link is not the symbol table');
    if (!s.infoSection) problem(at, 'sh_info names no target section');
    // A table still in the input's bytes whose every symbol passes, on a machine without code rules, has no
    // violation: it need not be decoded (our own output has thousands of entries, one symbol for several).
    const encoded = s.encodedRelocations;
    if (encoded && !hasArchRules(elf.machine) && encoded.uses.every((u) => klpSymbolFits(u.symbol, obj))) continue;
    const relocations = s.relocations ?? [];
    for (let k = 0; k < relocations.length; k++) {
      const r = relocations[k]!;
      const sym = r.symbol;
      if (sym.special !== SHN.LIVEPATCH || sym.section) {
        relocationProblem(at, k, r, `symbol '${sym.name}' is not marked SHN_LIVEPATCH`);
        continue;
      }
      const parsed = klpName(sym);
      if (!parsed) relocationProblem(at, k, r, `symbol '${sym.name}' is not .klp.sym.<object>.<name>,<position>`);
      else if (obj !== 'vmlinux' && parsed.object === 'vmlinux') {
        relocationProblem(at, k, r, `vmlinux symbol '${sym.name}' in a module-specific klp section`);
      }
      const target = s.infoSection;
      const rule = archRule(r.type);
      const archProblem = target && rule?.check(target, Number(r.offset), elf.littleEndian, sym.name);
      if (archProblem) relocationProblem(at, k, r, archProblem.reason);
    }
  }
  // An index loop: for-of over thousands of symbols allocates a result object a step until optimised.
  const symbols = elf.symbols;
  for (let k = 0; k < symbols.length; k++) {
    const sym = symbols[k]!;
    if (sym.special === SHN.LIVEPATCH && !sym.section && !klpName(sym)) {
      const what = `symbol ${sym.index} '${sym.name}' is SHN_LIVEPATCH`;
      problem({ file, symbol: sym.name }, `${what} but not .klp.sym.<object>.<name>,<position>`);
    }
  }
  return problems;
}

/** `f` with its results kept by argument, for values asked about many times in one pass. */
function memoized<K, V>(f: (key: K) => V): (key: K) => V {
  const known = new Map<K, V>();
  return (key) => {
    if (known.has(key)) return known.get(key)!;
    const v = f(key);
    known.set(key, v);
    return v;
  };
}

/** The violations' messages, one line each (the library's older form of livepatchRuleViolations). */
export function checkLivepatchElf(elf: ElfFile): string[] {
  return livepatchRuleViolations(elf).map((d) => d.message);
}

/** How many klp relocation sections a module has (for `check`'s summary). */
export function klpRelaSectionCount(elf: ElfFile): number {
  return elf.sections.filter((s) => s.name.startsWith(KLP_RELA_PREFIX)).length;
}

/** `livepatch=Y` in .modinfo: without it the kernel refuses the module as a livepatch. */
export function hasLivepatchModinfo(elf: ElfFile): boolean {
  const modinfo = elf.sections.find((s) => s.name === '.modinfo');
  if (!modinfo) return false;
  const text = Buffer.from(modinfo.data.buffer, modinfo.data.byteOffset, modinfo.data.byteLength).toString('latin1');
  return text.split('\0').includes('livepatch=Y');
}
