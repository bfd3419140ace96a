import { type ElfFile, type ElfSymbol, type Relocation, type Section, SHF, SHT, STB } from '../elf/index.js';
import { type Annotation, readAnnotations } from './annotations.js';
import { type Diagnostics, hex } from './diagnostics.js';
import {
  KLP_RELA_PREFIX,
  KLP_SYM_RELA_PREFIX,
  kernelModuleName,
  klpSymbolName,
  objectNameProblem,
  parseKlpSymRelaName,
  symbolNameProblem,
} from './naming.js';
import { archRelocationRule } from './arch-rules.js';
import { isInitSection, specialSectionRule } from './special-sections.js';
import { sourceFileMatches, symbolTypeOfKind } from '../symbols/hints.js';
import { isDefinitionKind } from '../symbols/nm-letters.js';
import type { MapDefinition, PositionHintInput, SymbolLookup } from './symbol-source.js';

/**
 * Decide, for every relocation against a symbol the livepatch does not
 * define, whether it stays an ordinary relocation or becomes a klp one, with
 * which object and position. Pure: reads the model, changes nothing.
 */

/** Symbols the toolchain resolves itself, never kernel symbols. */
const TOOLCHAIN_SYMBOLS = new Set(['.TOC.', '_GLOBAL_OFFSET_TABLE_']);

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

/** Relocations against undefined symbols, grouped by symbol in order of first use. */
export function collectCandidates(elf: ElfFile, skip: ReadonlySet<Section> = new Set()): Candidate[] {
  const bySymbol = new Map<ElfSymbol, Candidate>();
  for (const s of elf.sections) {
    if (!s.relocations || s.name.startsWith(KLP_RELA_PREFIX) || skip.has(s)) continue;
    if (s.infoSection && skip.has(s.infoSection)) continue;
    s.relocations.forEach((relocation, index) => {
      const symbol = relocation.symbol;
      if (symbol.index === 0 || !symbol.isUndefined || TOOLCHAIN_SYMBOLS.has(symbol.name)) return;
      let c = bySymbol.get(symbol);
      if (!c) bySymbol.set(symbol, (c = { symbol, references: [] }));
      c.references.push({ section: s, relocation, index });
    });
  }
  return [...bySymbol.values()];
}

/** The names the maps must be searched for: every candidate, with asm-label annotations unwrapped. */
export function wantedNames(candidates: Candidate[]): Set<string> {
  const names = new Set<string>();
  for (const c of candidates) {
    const lukas = parseKlpSymRelaName(c.symbol.name);
    names.add(lukas ? lukas.name : c.symbol.name);
  }
  return names;
}

export function planConversion(
  elf: ElfFile,
  lookup: SymbolLookup,
  hints: readonly PositionHintInput[],
  options: PlanOptions,
  diags: Diagnostics,
): Plan {
  const scan = readAnnotations(elf, diags);
  const candidates = collectCandidates(elf, scan.sections);
  const candidateSet = new Set(candidates.map((c) => c.symbol));
  const annotationFor = indexAnnotations(elf, scan.annotations, candidateSet, diags);
  const hintFor = indexHints(hints, diags);
  const plan: Plan = { converted: [], kept: [], removeSections: scan.sections, removeRelocations: strayAnnotationRelocations(elf, scan.sections, diags) };
  const resolver = new Resolver(elf, lookup, diags, options);

  for (const c of candidates) {
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
    diags.warning('KLP034', `${elf.fileName}: no symbol map or Module.symvers was found, so ${unknown.length} undefined symbol${unknown.length === 1 ? '' : 's'} without an annotation stay ordinary: ${unknown.join(', ')}`, [
      'the kernel resolves the exported ones at load and refuses the module if any other is among them',
      'pass --symbols/--symvers (or --kdir) to have them checked and converted',
    ]);
  }
  return plan;
}

type Decision =
  | { kind: 'keep'; reason: string }
  | { kind: 'convert'; name: string; object: string; position: number; gate: string; how: ConvertedSymbol['how'] };

class Resolver {
  constructor(
    private readonly elf: ElfFile,
    private readonly lookup: SymbolLookup,
    private readonly diags: Diagnostics,
    private readonly options: PlanOptions,
  ) {}

  private where(c: Candidate): string {
    const r = c.references[0]!;
    return `${this.elf.fileName}: section '${r.section.name}' offset ${hex(r.relocation.offset)}`;
  }

  decide(c: Candidate, annotation: Annotation | undefined, hint: PositionHintInput | undefined): Decision | undefined {
    const d = this.decideOnce(c, annotation, hint);
    if (d?.kind === 'convert' && d.object !== 'vmlinux' && !this.stableWhileLoading(c, d.object, d.name, d.position)) return undefined;
    return d;
  }

  /**
   * A livepatch loaded before its target module resolves the target's symbols
   * while that module is still loading, when the kernel counts its whole
   * symtab (init symbols too); after init it counts fewer. A position is only
   * safe if both counts agree on it. Maps that record both views say so.
   */
  private stableWhileLoading(c: Candidate, object: string, name: string, position: number): boolean {
    const atLoad = this.lookup.countAtLoad?.(object, name);
    if (atLoad === undefined) return true;
    const after = this.lookup.countIn(object, name);
    if (position === 0) {
      if (atLoad <= 1) return true;
      this.diags.error(
        'KLP025',
        `${this.where(c)}: '${name}' is unique in ${object} after it initialises, but while ${object} is loading the kernel counts ${atLoad} symbols of that name (init symbols too); a livepatch loaded first would fail with "unresolvable ambiguity"`,
        ['rename the init symbol in the target, or load the livepatch only after the target'],
      );
      return false;
    }
    const def = this.lookup.definitions(name).find((x) => x.object === object && x.rank === position);
    if (!def || def.loadRank === undefined || def.loadRank === position) return true;
    this.diags.error(
      'KLP025',
      `${this.where(c)}: position ${position} of '${name}' in ${object} (of ${after ?? '?'}) becomes position ${def.loadRank} while ${object} is loading (init symbols count then); a livepatch loaded first would resolve a different symbol`,
    );
    return false;
  }

  private decideOnce(c: Candidate, annotation: Annotation | undefined, hint: PositionHintInput | undefined): Decision | undefined {
    const name = c.symbol.name;

    // Asm-label annotation: the source named object and position itself.
    if (name.startsWith(KLP_SYM_RELA_PREFIX)) {
      const parsed = parseKlpSymRelaName(name);
      if (!parsed) {
        this.diags.error('KLP017', `${this.where(c)}: symbol '${name}' is not of the form .klp.sym.rela.<patched object>.<symbol object>.<symbol>,<position>`);
        return undefined;
      }
      if (!this.checkExplicit(c, parsed.object, parsed.name, parsed.position, `asm label '${name}'`)) return undefined;
      return { kind: 'convert', name: parsed.name, object: parsed.object, position: parsed.position, gate: parsed.patchedObject, how: 'asm-label' };
    }

    const nameProblem = symbolNameProblem(name);
    if (nameProblem) {
      this.diags.error('KLP021', `${this.where(c)}: ${nameProblem}`);
      return undefined;
    }

    if (annotation) {
      if (hint && ((hint.object !== undefined && kernelModuleName(hint.object) !== annotation.object) || (hint.position !== undefined && hint.position !== annotation.position))) {
        this.diags.error(
          'KLP018',
          `${this.where(c)}: '${name}' is annotated as ${annotation.object},${annotation.position} (${annotation.where}) but ${hint.origin.file}:${hint.origin.line} says ${describeHint(hint).replace(/ \(.*\)$/, '')}`,
          ['keep one of the two'],
        );
        return undefined;
      }
      if (!this.checkExplicit(c, annotation.object, name, annotation.position, `annotation ${annotation.where}`)) return undefined;
      return { kind: 'convert', name, object: annotation.object, position: annotation.position, gate: annotation.object, how: 'annotation' };
    }

    const exp = this.lookup.exporter(name);
    if (exp) {
      const object = kernelModuleName(exp.object);
      if (object === 'vmlinux') return { kind: 'keep', reason: `exported by vmlinux (${exp.origin.file}:${exp.origin.line})` };
      if (this.options.keepModuleExports) return { kind: 'keep', reason: `exported by module ${object}; kept ordinary as asked (the livepatch will depend on ${object})` };
      const position = this.exportPosition(object, name);
      return { kind: 'convert', name, object, position, gate: object, how: 'module-export' };
    }

    if (hint?.position !== undefined && hint.object !== undefined) {
      if (!this.checkExplicit(c, hint.object, name, hint.position, `${hint.origin.file}:${hint.origin.line}`)) return undefined;
      return { kind: 'convert', name, object: hint.object, position: hint.position, gate: hint.object, how: 'positions-file' };
    }

    return this.fromMaps(c, hint);
  }

  /** A module export is global, so normally unique in its module; if the map says otherwise, use the global's rank. */
  private exportPosition(object: string, name: string): number {
    const n = this.lookup.countIn(object, name);
    if (n === undefined || n <= 1) return 0;
    const global = this.lookup.definitions(name).find((d) => d.object === object && d.kind !== undefined && /^[A-Z]$/.test(d.kind) && d.kind !== 'U');
    return global?.rank ?? 0;
  }

  /** Validate an object and position the author gave, against the maps where they describe that object. */
  private checkExplicit(c: Candidate, object: string, name: string, position: number, source: string): boolean {
    const problem = objectNameProblem(object) ?? symbolNameProblem(name);
    if (problem) {
      this.diags.error('KLP021', `${this.where(c)}: ${source}: ${problem}`);
      return false;
    }
    const count = this.lookup.countIn(object, name) ?? (this.lookup.objects.has(object) ? 0 : undefined);
    if (count === undefined) return true; // no map describes that object: trust the author
    if (count === 0) {
      this.diags.error('KLP022', `${this.where(c)}: ${source} names '${name}' in ${object}, but the symbol maps have no '${name}' in ${object}`, this.candidateNotes(name));
      return false;
    }
    if (position === 0 && count > 1) {
      this.diags.error(
        'KLP023',
        `${this.where(c)}: ${source} gives position 0 for '${name}' in ${object}, but ${object} has ${count} symbols of that name; position 0 means the only one`,
        this.candidateNotes(name),
      );
      return false;
    }
    if (position > count) {
      this.diags.error('KLP024', `${this.where(c)}: ${source} gives position ${position} for '${name}' in ${object}, which has only ${count}`, this.candidateNotes(name));
      return false;
    }
    return true;
  }

  private fromMaps(c: Candidate, hint: PositionHintInput | undefined): Decision | undefined {
    const name = c.symbol.name;
    let defs = this.lookup.definitions(name).filter(isDefinition);
    if (hint) defs = defs.filter((d) => matchesHint(d, hint));

    if (defs.length === 0) {
      if (hint?.object !== undefined && !this.lookup.objects.has(hint.object)) {
        // The positions file names an object no map describes: trust it, as for annotations.
        return { kind: 'convert', name, object: hint.object, position: 0, gate: hint.object, how: 'positions-file' };
      }
      if (c.symbol.bind === STB.WEAK) {
        this.diags.warning('KLP033', `${this.where(c)}: weak symbol '${name}' is in no symbol map and not exported; left undefined (the kernel resolves it to 0)`);
        return { kind: 'keep', reason: 'weak, found nowhere' };
      }
      const all = this.lookup.definitions(name).filter(isDefinition);
      if (hint && all.length > 0) {
        const notes = this.candidateNotes(name);
        if (hint.file !== undefined && all.every((d) => d.file === undefined)) {
          notes.push(
            `the maps that describe '${name}' record no source files (a /proc/kallsyms dump, System.map or upstream map);`,
            'give first a map generated by `klp-convert symbols` from objects with symbols (STT_FILE), or use a position',
          );
        }
        this.diags.error('KLP031', `${this.where(c)}: no definition of '${name}' matches ${describeHint(hint)}`, notes);
      } else if (this.options.annotationsOnly) {
        return { kind: 'keep', reason: KEPT_WITHOUT_SYMBOL_INFORMATION };
      } else {
        this.diags.error('KLP030', `${this.where(c)}: symbol '${name}' is not exported and is in no symbol map`, [
          this.lookup.objects.size === 0 ? 'no symbol map was given: pass --symbols <map> (or --kdir)' : `searched ${this.lookup.objects.size} objects`,
          'if a module exports it, pass that module\'s Module.symvers with --symvers',
        ], name);
      }
      return undefined;
    }

    const objects = new Set(defs.map((d) => d.object));
    if (objects.size > 1) {
      this.ambiguous(c, defs, `is defined in ${objects.size} objects`);
      return undefined;
    }
    const object = kernelModuleName(defs[0]!.object);
    const count = this.lookup.countIn(defs[0]!.object, name) ?? defs.length;
    if (count === 1 && defs.length === 1) return { kind: 'convert', name, object, position: 0, gate: object, how: hint ? 'positions-file' : 'unique' };
    if (defs.length === 1) {
      const rank = defs[0]!.rank;
      if (rank !== undefined && this.lookup.orderKnown(defs[0]!.object, name)) {
        return { kind: 'convert', name, object, position: rank, gate: object, how: 'map-position' };
      }
      this.ambiguous(c, this.lookup.definitions(name).filter(isDefinition), `has ${count} definitions in ${object} and the map does not know their kallsyms order`);
      return undefined;
    }
    this.ambiguous(c, defs, `has ${defs.length} definitions in ${object}`);
    return undefined;
  }

  private ambiguous(c: Candidate, defs: readonly MapDefinition[], what: string): void {
    const name = c.symbol.name;
    const notes = ['candidates:', ...describeCandidates(defs).map((l) => `  ${l}`)];
    const first = defs.find((d) => d.rank !== undefined) ?? defs[0]!;
    const pos = first.rank ?? 1;
    notes.push(
      'say which one in a positions file (--positions), e.g.:',
      `  ${name}: { object: ${first.object}, position: ${pos} }`,
      'or annotate the source:',
      `  KLP_MODULE_RELOC(${first.object}) = { KLP_SYMPOS(${name}, ${pos}) };`,
    );
    this.diags.error('KLP032', `${this.where(c)}: symbol '${name}' ${what}; its position is ambiguous`, notes);
  }

  private candidateNotes(name: string): string[] {
    const defs = this.lookup.definitions(name).filter(isDefinition);
    if (defs.length === 0) return [];
    return ['the maps know:', ...describeCandidates(defs).map((l) => `  ${l}`)];
  }
}

/** Undefined entries (nm 'U', 'w', 'v') are references, not definitions. */
function isDefinition(d: MapDefinition): boolean {
  return isDefinitionKind(d.kind);
}

function matchesHint(d: MapDefinition, h: PositionHintInput): boolean {
  if (h.object !== undefined && kernelModuleName(d.object) !== kernelModuleName(h.object)) return false;
  if (h.position !== undefined && d.rank !== undefined && d.rank !== h.position) return false;
  // Maps hold STT_FILE basenames or paths; authors write paths: a '/'-bounded suffix either way.
  if (h.file !== undefined && (d.file === undefined || !sourceFileMatches(h.file, d.file))) return false;
  if (h.type !== undefined) {
    const t = symbolTypeOfKind(d.kind);
    if (t !== undefined && t !== h.type) return false;
  }
  return true;
}

function describeHint(h: PositionHintInput): string {
  const parts = [h.object && `object ${h.object}`, h.file && `file ${h.file}`, h.type && `type ${h.type}`, h.position !== undefined && `position ${h.position}`].filter(Boolean);
  return `${parts.join(', ')} (${h.origin.file}:${h.origin.line})`;
}

/** One line per candidate: object, 1-based position when known, type, file, and where the map said so. */
export function describeCandidates(defs: readonly MapDefinition[]): string[] {
  return defs.map((d) => {
    const pos = d.rank !== undefined ? `position ${d.rank}` : 'position unknown';
    const extra = [d.kind && `type ${d.kind}`, d.file && `file ${d.file}`].filter(Boolean).join(', ');
    return `${d.object}, ${pos}${extra ? `, ${extra}` : ''} (${d.origin.file}:${d.origin.line})`;
  });
}

function indexAnnotations(elf: ElfFile, annotations: Annotation[], candidates: ReadonlySet<ElfSymbol>, diags: Diagnostics): Map<ElfSymbol, Annotation> {
  const m = new Map<ElfSymbol, Annotation>();
  for (const a of annotations) {
    const prev = m.get(a.symbol);
    if (prev && (prev.object !== a.object || prev.position !== a.position)) {
      diags.error('KLP014', `${elf.fileName}: conflicting annotations for '${a.symbol.name}': ${prev.object},${prev.position} at ${prev.where} and ${a.object},${a.position} at ${a.where}`);
      continue;
    }
    if (!candidates.has(a.symbol)) {
      diags.error('KLP015', `${elf.fileName}: annotation ${a.where} for '${a.symbol.name}' matches no relocation of the livepatch`, ['remove the KLP_SYMPOS entry, or check the symbol name']);
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
      diags.error('KLP020', `${h.origin.file}:${h.origin.line}: '${h.name}' is already given at line ${prev.origin.line}`);
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
  for (const s of elf.sections) {
    if (!s.relocations || removed.has(s)) continue;
    for (const r of s.relocations) {
      if (r.symbol.section && removed.has(r.symbol.section)) {
        stray.add(r);
        diags.warning('KLP016', `${elf.fileName}: section '${s.name}' offset ${hex(r.offset)} refers to annotation data '${r.symbol.name}'; the relocation is dropped with the annotations`);
      }
    }
  }
  return stray;
}

/**
 * Check every reference of a converted symbol against the kernel's rules for
 * where klp relocations may live. Returns false (with errors) if any fails.
 */
function checkPlacement(elf: ElfFile, c: ConvertedSymbol, diags: Diagnostics): boolean {
  let ok = true;
  const objProblem = objectNameProblem(c.gate) ?? objectNameProblem(c.object);
  if (objProblem) {
    diags.error('KLP021', `${elf.fileName}: symbol '${c.name}': ${objProblem}`);
    return false;
  }
  if (c.gate !== 'vmlinux' && c.object === 'vmlinux') {
    diags.error(
      'KLP040',
      `${elf.fileName}: symbol '${c.name}' is in vmlinux but its relocations would be applied when module '${c.gate}' loads; the kernel refuses vmlinux symbols in module-specific klp relocation sections`,
      [`use .klp.sym.rela.vmlinux.vmlinux.${c.name},${c.position} (or let klp-convert place it)`],
    );
    return false;
  }
  const late = c.gate !== 'vmlinux';
  for (const ref of c.references) {
    const target = ref.section.infoSection;
    if (!target || (target.flags & SHF.ALLOC) === 0n) continue; // the loader ignores relocations of non-allocated sections
    const at = `${elf.fileName}: section '${ref.section.name}' offset ${hex(ref.relocation.offset)}`;
    if (ref.section.type === SHT.REL) {
      diags.error('KLP041', `${at}: relocation to '${c.name}' is in an SHT_REL section; the kernel applies klp relocations only as SHT_RELA`);
      ok = false;
      continue;
    }
    if (late) {
      const rule = specialSectionRule(target.name);
      if (rule) {
        diags.error('KLP042', `${at}: relocation to '${c.name}' of module ${c.gate} in special section '${target.name}': ${rule.reason}`, [`remedy: ${rule.remedy}`]);
        ok = false;
        continue;
      }
      if (isInitSection(target.name)) {
        diags.error('KLP043', `${at}: relocation to '${c.name}' of module ${c.gate} in init section '${target.name}': init sections are freed after the livepatch loads, before a relocation applied when ${c.gate} loads could be written`, [
          'move the reference out of __init code',
        ]);
        ok = false;
        continue;
      }
    }
    const archRule = archRelocationRule(elf.machine, ref.relocation.type);
    const problem = archRule?.check(target, Number(ref.relocation.offset), elf.littleEndian, c.name);
    if (problem) {
      diags.error('KLP044', `${at}: ${problem.reason}`, [`remedy: ${problem.remedy}`]);
      ok = false;
    }
  }
  return ok;
}
