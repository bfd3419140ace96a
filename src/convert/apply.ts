import { type ElfFile, type Relocation, Section, SHF, SHN, SHT } from '../elf/index.js';
import { KLP_RELA_PREFIX, klpRelaObject, klpRelaSectionName } from './naming.js';
import type { Plan } from './plan.js';

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
  const moved = new Set<Relocation>();
  const touched = new Set<Section>();

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

  // Move in section order, then relocation order, so the output is the input's order, filtered.
  const gateOf = new Map<Relocation, string>();
  for (const c of plan.converted) for (const ref of c.references) gateOf.set(ref.relocation, c.gate);
  const converted = new Set(plan.converted.map((c) => c.symbol));
  for (const s of elf.sections) {
    if (!s.hasRelocations || s.name.startsWith(KLP_RELA_PREFIX)) continue;
    const target = s.infoSection;
    // Relocations of non-allocated sections (debug info) are never applied by the loader: leave them.
    if (!target || (target.flags & SHF.ALLOC) === 0n) continue;
    if (!s.hasRelocationAgainst((sym) => converted.has(sym))) continue;
    const into = new Map<string, Relocation[]>(); // this section's klp lists by gate, found once
    for (const r of s.relocations!) {
      const gate = gateOf.get(r);
      if (gate === undefined) continue;
      let list = into.get(gate);
      if (!list) into.set(gate, (list = klpSection(gate, target).relocations!));
      list.push(r);
      moved.add(r);
    }
    if (into.size > 0) touched.add(s);
  }
  for (const c of plan.converted) {
    c.symbol.name = c.klpName;
    c.symbol.section = null;
    c.symbol.special = SHN.LIVEPATCH;
  }

  for (const r of plan.removeRelocations) moved.add(r);
  // A table nobody decoded handed out no relocation, so it holds none of these: only their symbols are looked for.
  const movedSymbols = new Set([...converted, ...[...plan.removeRelocations].map((r) => r.symbol)]);
  for (const s of elf.sections) {
    if (!s.hasRelocations || s.name.startsWith(KLP_RELA_PREFIX)) continue;
    if (!s.hasRelocationAgainst((sym) => movedSymbols.has(sym))) continue;
    if (s.relocations!.some((r) => moved.has(r))) {
      s.relocations = s.relocations!.filter((r) => !moved.has(r));
      touched.add(s);
    }
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
    movedRelocations: moved.size - plan.removeRelocations.size,
    removedSections: [...gone].map((s) => s.name),
  };
}
