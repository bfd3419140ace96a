/**
 * What the planner decides: the candidates it looks at and the plan it
 * hands to the applier (apply.ts). Data only.
 */
import { type ElfSymbol, type Relocation, type Section } from '../elf/index.js';

export interface Reference {
  section: Section;
  relocation: Relocation;
  /** Position of the relocation in its section, for messages. */
  index: number;
}

export interface Candidate {
  symbol: ElfSymbol;
  references: Reference[];
}

export interface ConvertedSymbol {
  symbol: ElfSymbol;
  name: string;
  object: string;
  position: number;
  klpName: string;
  /** Which rule chose object and position. */
  how: 'annotation' | 'asm-label' | 'positions-file' | 'unique' | 'map-position' | 'module-export';
  /** The object whose loading applies these relocations (names the .klp.rela section). */
  gate: string;
  references: Reference[];
}

export interface KeptSymbol {
  name: string;
  reason: string;
  references: number;
}

export interface Plan {
  converted: ConvertedSymbol[];
  kept: KeptSymbol[];
  /** Annotation sections and their relocation sections. */
  removeSections: Set<Section>;
  /** Relocations elsewhere that point into annotation sections. */
  removeRelocations: Set<Relocation>;
}

export interface PlanOptions {
  /** Keep relocations to symbols exported by modules ordinary (the module becomes a load dependency). */
  keepModuleExports?: boolean;
  /**
   * No map and no Module.symvers exists anywhere: only annotations can say
   * what becomes a klp relocation. Other undefined symbols stay ordinary
   * (the loader resolves the exported ones and refuses the rest), with one
   * warning that lists them, as the source-based tools behave.
   */
  annotationsOnly?: boolean;
}

/** Why an undefined symbol stays ordinary when only annotations are known. */
export const KEPT_WITHOUT_SYMBOL_INFORMATION = 'no symbol map or Module.symvers available; left to the module loader';
