import { type ElfFile, type ElfSymbol, type Relocation, Section, SHF, SHN, SHT } from '../elf/index.js';
import { KLP_RELA_PREFIX, klpRelaObject, klpRelaSectionName } from './naming.js';
import { isCandidateTable, type Plan } from './plan.js';

/** The flags the livepatch core and module loader need (module-elf-format.rst shows "AIo"). */
export const KLP_RELA_FLAGS = SHF.ALLOC | SHF.INFO_LINK | SHF.RELA_LIVEPATCH;

export interface ApplyResult {
  /** klp relocation sections written to, in order of first use. */
  klpSections: Section[];
  movedRelocations: number;
  removedSections: string[];
}

/**
 * Carry out a plan on the model: move each converted relocation, unchanged,
 * into `.klp.rela.<gate>.<target>`, turn each converted symbol into its
 * SHN_LIVEPATCH `.klp.sym` form, drop emptied relocation sections and the
 * annotations.
 */
export function applyPlan(elf: ElfFile, plan: Plan): ApplyResult {
  // One klp section per (object, target section): targets are found by sh_info,
  // and a relocatable object may hold several sections of one name (COMDAT).
  const existing = new Map<string, Section>();
  const keyOf = (gate: string, target: Section): string => `${gate}\0${target.index}`;
  for (const s of elf.sections) {
    const obj = klpRelaObject(s.name);
    if (obj !== undefined && s.relocations && s.infoSection) existing.set(keyOf(obj, s.infoSection), s);
  }
  const used: Section[] = [];
  const usedSet = new Set<Section>();

  const klpSection = (gate: string, target: Section): Section => {
    const key = keyOf(gate, target);
    let s = existing.get(key);
    if (!s) {
      const name = klpRelaSectionName(gate, target.name);
      s = new Section({
        name,
        type: SHT.RELA,
        flags: KLP_RELA_FLAGS,
        addralign: BigInt(elf.layout.wordAlign),
        entsize: BigInt(elf.layout.relaSize),
      });
      s.link = elf.symtab;
      s.infoSection = target;
      s.relocations = [];
      elf.addSection(s);
      existing.set(key, s);
    }
    if (!usedSet.has(s)) {
      usedSet.add(s);
      used.push(s);
    }
    return s;
  };

  // One pass over each table, in section order then relocation order, so the output is the input's order,
  // filtered: a converted symbol's relocations go to its gate's klp list, stray annotation relocations go away.
  // The candidates are every relocation against a converted symbol outside the annotations and klp sections
  // (collectCandidates), so the symbol alone says which relocations move.
  // Index loops over the converted symbols and the relocations: they run once an item before any of
  // this is optimised, and for-of allocates an iterator result a step there.
  const converted = plan.converted;
  const gateOf = new Map<ElfSymbol, string>();
  for (let i = 0; i < converted.length; i++) gateOf.set(converted[i]!.symbol, converted[i]!.gate);
  const dropped = plan.removeRelocations;
  const droppedSymbols = new Set([...dropped].map((r) => r.symbol));
  // A table nobody decoded handed out no relocation, so it holds none to drop: only their symbols are looked for.
  const movedOrDropped = (sym: ElfSymbol): boolean => gateOf.has(sym) || droppedSymbols.has(sym);
  let movedCount = 0;
  const touched = new Set<Section>();
  for (const s of elf.sections) {
    if (!s.hasRelocations || s.name.startsWith(KLP_RELA_PREFIX) || !s.hasRelocationAgainst(movedOrDropped)) continue;
    const target = s.infoSection;
    // Relocations of non-allocated sections (debug info) are never applied by the loader: leave them.
    const moves = isCandidateTable(s, plan.removeSections) && target !== null && (target.flags & SHF.ALLOC) !== 0n;
    const into = new Map<string, Relocation[]>(); // this section's klp lists by gate, found once
    const kept: Relocation[] = [];
    const relocations = s.relocations!;
    for (let k = 0; k < relocations.length; k++) {
      const r = relocations[k]!;
      const gate = moves ? gateOf.get(r.symbol) : undefined;
      if (gate !== undefined) {
        let list = into.get(gate);
        if (!list) into.set(gate, (list = klpSection(gate, target!).relocations!));
        list.push(r);
        movedCount++;
      } else if (dropped.size === 0 || !dropped.has(r)) {
        kept.push(r);
      }
    }
    if (kept.length < relocations.length) {
      s.relocations = kept;
      touched.add(s);
    }
  }
  for (let i = 0; i < converted.length; i++) {
    const c = converted[i]!;
    c.symbol.name = c.klpName;
    c.symbol.section = null;
    c.symbol.special = SHN.LIVEPATCH;
  }

  // Annotations: their symbols, then their sections, and any group membership.
  const gone = new Set(plan.removeSections);
  for (const s of elf.sections) if (touched.has(s) && s.relocations!.length === 0 && !usedSet.has(s)) gone.add(s);
  if (gone.size > 0) {
    for (const s of elf.sections) if (s.groupMembers) s.groupMembers = s.groupMembers.filter((m) => !gone.has(m));
    const goneSymbols = new Set(elf.symbols.filter((sym) => sym.section !== null && gone.has(sym.section)));
    elf.remove({ sections: gone, symbols: goneSymbols });
  }
  return {
    klpSections: used,
    movedRelocations: movedCount,
    removedSections: [...gone].map((s) => s.name),
  };
}
