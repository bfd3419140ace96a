/**
 * Decide, for every relocation against a symbol the livepatch does not
 * define, whether it stays an ordinary relocation or becomes a klp one, with
 * which object and position. Pure: reads the model, changes nothing.
 * The ladder itself is resolver.ts, the placement rules placement.ts.
 */
import { type ElfFile, type ElfSymbol, type Relocation, type Section } from '../elf/index.js';
import {
  type Annotation, type AnnotationProblem, annotationSections as annotationSectionsOf, readAnnotations,
} from './annotations.js';
import { Diagnostics, hex } from './diagnostics.js';
import { KLP_RELA_PREFIX, klpSymbolName } from './naming.js';
import type { PositionHintInput, SymbolLookup } from './symbol-source.js';
import { checkPlacement } from './placement.js';
import { Resolver } from './resolver.js';
import type { Candidate, ConvertedSymbol, Plan, PlanOptions } from './plan-model.js';
import { KEPT_WITHOUT_SYMBOL_INFORMATION } from './plan-model.js';
export type { Candidate, ConvertedSymbol, KeptSymbol, Plan, PlanOptions, Reference } from './plan-model.js';
export { KEPT_WITHOUT_SYMBOL_INFORMATION } from './plan-model.js';

/** Symbols the toolchain resolves itself, never kernel symbols. */
const TOOLCHAIN_SYMBOLS = new Set(['.TOC.', '_GLOBAL_OFFSET_TABLE_']);

/** Whether relocations against `symbol` are conversion candidates: it is undefined, and no toolchain symbol. */
function isCandidateSymbol(symbol: ElfSymbol): boolean {
  return symbol.index !== 0 && symbol.isUndefined && !TOOLCHAIN_SYMBOLS.has(symbol.name);
}

/**
 * Whether a relocation section's entries can be candidates: it is no klp section, and neither it nor the
 * section it applies to is in `skip` (annotation data and the tables that fill it).
 */
export function isCandidateTable(s: Section, skip: ReadonlySet<Section>): boolean {
  if (s.name.startsWith(KLP_RELA_PREFIX) || skip.has(s)) return false;
  return !(s.infoSection && skip.has(s.infoSection));
}

/** Relocations against undefined symbols, grouped by symbol in order of first use. */
export function collectCandidates(elf: ElfFile, skip: ReadonlySet<Section> = new Set()): Candidate[] {
  // Every symbol a relocation uses, with its candidate or null: each symbol is judged once, not once a use.
  const bySymbol = new Map<ElfSymbol, Candidate | null>();
  const candidates: Candidate[] = [];
  for (const s of elf.sections) {
    if (!s.hasRelocations || !isCandidateTable(s, skip)) continue;
    // Most tables (debug information) hold no candidate: found without decoding them.
    if (s.encodedRelocations && !s.hasRelocationAgainst(isCandidateSymbol)) continue;
    const relocations = s.relocations!;
    for (let index = 0; index < relocations.length; index++) {
      const relocation = relocations[index]!;
      const symbol = relocation.symbol;
      let c = bySymbol.get(symbol);
      if (c === undefined) {
        c = isCandidateSymbol(symbol) ? { symbol, references: [] } : null;
        bySymbol.set(symbol, c);
        if (c) candidates.push(c);
      }
      if (c) c.references.push({ section: s, relocation, index });
    }
  }
  return candidates;
}

/**
 * What a module asks of the conversion before any map is read: its candidates, and the annotation
 * sections whose relocations are none. Found once, for the look-up (wantedNames) and the plan; it
 * describes the model as it was when found, so it is for that model before any edit.
 */
export interface CandidateScan {
  /** Annotation data and the relocation sections that fill it (removed from the output). */
  readonly annotationSections: Set<Section>;
  readonly candidates: readonly Candidate[];
}

export function scanCandidates(elf: ElfFile): CandidateScan {
  const annotationSections = annotationSectionsOf(elf);
  return { annotationSections, candidates: collectCandidates(elf, annotationSections) };
}

/** The names the maps must be searched for: every candidate's, by the name annotations give it (asm labels). */
export function wantedNames(elf: ElfFile, scan: CandidateScan = scanCandidates(elf)): Set<string> {
  const { candidates } = scan;
  const named = new Map<ElfSymbol, string>();
  for (const a of readAnnotations(elf, candidates, new Diagnostics())) {
    if (a.kind === 'annotation') named.set(a.symbol, a.name);
  }
  const wanted = new Set<string>();
  // Index loops over the candidates, here and in planConversion: for-of allocates a result object a
  // step in code not yet optimised, and a module has thousands of candidates.
  for (let i = 0; i < candidates.length; i++) {
    const symbol = candidates[i]!.symbol;
    wanted.add(named.get(symbol) ?? symbol.name);
  }
  return wanted;
}

export function planConversion(
  elf: ElfFile,
  lookup: SymbolLookup,
  hints: readonly PositionHintInput[],
  options: PlanOptions,
  diags: Diagnostics,
  scan: CandidateScan = scanCandidates(elf),
): Plan {
  const removeSections = scan.annotationSections;
  const candidates = scan.candidates;
  const annotations = readAnnotations(elf, candidates, diags);
  // The set of candidates is for checking annotations: none (the usual case), no set of every candidate.
  const candidateSet = annotations.length > 0 ? new Set(candidates.map((c) => c.symbol)) : new Set<ElfSymbol>();
  const annotationFor = indexAnnotations(elf, annotations, candidateSet, diags);
  const hintFor = indexHints(hints, diags);
  const removeRelocations = strayAnnotationRelocations(elf, removeSections, diags);
  const plan: Plan = { converted: [], kept: [], removeSections, removeRelocations };
  const resolver = new Resolver(elf, lookup, diags, options);

  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    const decision = resolver.decide(c, annotationFor.get(c.symbol), hintFor.get(c.symbol.name));
    if (!decision) continue;
    if (decision.kind === 'keep') {
      plan.kept.push({ name: c.symbol.name, reason: decision.reason, references: c.references.length });
      continue;
    }
    const converted: ConvertedSymbol = {
      symbol: c.symbol,
      name: decision.name,
      object: decision.object,
      position: decision.position,
      klpName: klpSymbolName(decision.object, decision.name, decision.position),
      how: decision.how,
      gate: decision.gate,
      references: c.references,
    };
    if (checkPlacement(elf, converted, diags)) plan.converted.push(converted);
  }
  const unknown = plan.kept.filter((k) => k.reason === KEPT_WITHOUT_SYMBOL_INFORMATION).map((k) => k.name);
  if (unknown.length > 0) {
    const symbols = `${unknown.length} undefined symbol${unknown.length === 1 ? '' : 's'}`;
    diags.warning(
      'KLP034',
      { file: elf.fileName },
      `no symbol map or Module.symvers was found, so ${symbols} without an annotation stay ordinary: ` +
        unknown.join(', '),
      {
        notes: ['the kernel resolves the exported ones at load and refuses the module if any other is among them'],
        remedy: 'pass --symbols/--symvers (or --kdir) to have them checked and converted',
      },
    );
  }
  return plan;
}

/**
 * One annotation per symbol. Two of one format that disagree are an error; a
 * later format's word replaces an earlier one's (an asm label is the symbol's
 * own name, so it wins over a KLP_SYMPOS entry naming that symbol).
 */
function indexAnnotations(
  elf: ElfFile,
  annotations: readonly (Annotation | AnnotationProblem)[],
  candidates: ReadonlySet<ElfSymbol>,
  diags: Diagnostics,
): Map<ElfSymbol, Annotation | AnnotationProblem> {
  const m = new Map<ElfSymbol, Annotation | AnnotationProblem>();
  for (const a of annotations) {
    const prev = m.get(a.symbol);
    const sameFormat = prev?.kind === 'annotation' && a.kind === 'annotation' && prev.how === a.how;
    if (sameFormat && (prev.object !== a.object || prev.position !== a.position)) {
      const both = `${prev.object},${prev.position} at ${prev.where} and ${a.object},${a.position} at ${a.where}`;
      const at = { file: elf.fileName, symbol: a.symbol.name };
      diags.error('KLP014', at, `conflicting annotations for '${a.symbol.name}': ${both}`);
      continue;
    }
    if (!candidates.has(a.symbol)) {
      diags.error(
        'KLP015',
        { file: elf.fileName, symbol: a.symbol.name },
        `${a.kind === 'annotation' ? a.source : `annotation of '${a.symbol.name}'`} for '${a.symbol.name}' ` +
          'matches no relocation of the livepatch',
        { remedy: 'remove the KLP_SYMPOS entry, or check the symbol name' },
      );
      continue;
    }
    m.set(a.symbol, a);
  }
  return m;
}

function indexHints(hints: readonly PositionHintInput[], diags: Diagnostics): Map<string, PositionHintInput> {
  const m = new Map<string, PositionHintInput>();
  for (const h of hints) {
    const prev = m.get(h.name);
    if (prev) {
      const at = { file: h.origin.file, line: h.origin.line, symbol: h.name };
      diags.error('KLP020', at, `'${h.name}' is already given at line ${prev.origin.line}`);
      continue;
    }
    m.set(h.name, h);
  }
  return m;
}

/** Relocations from ordinary sections into annotation data would dangle once it is removed. */
function strayAnnotationRelocations(elf: ElfFile, removed: ReadonlySet<Section>, diags: Diagnostics): Set<Relocation> {
  const stray = new Set<Relocation>();
  if (removed.size === 0) return stray;
  const intoRemoved = (sym: ElfSymbol): boolean => sym.section !== null && removed.has(sym.section);
  for (const s of elf.sections) {
    if (!s.hasRelocations || removed.has(s) || !s.hasRelocationAgainst(intoRemoved)) continue;
    for (const r of s.relocations!) {
      if (intoRemoved(r.symbol)) {
        stray.add(r);
        const what = `section '${s.name}' offset ${hex(r.offset)} refers to annotation data '${r.symbol.name}'`;
        const at = { file: elf.fileName, symbol: r.symbol.name };
        diags.warning('KLP016', at, `${what}; the relocation is dropped with the annotations`, {
          unrendered: { section: s.name, relocationOffset: r.offset },
        });
      }
    }
  }
  return stray;
}
