/**
 * The decision ladder: for one undefined symbol, whether it stays an ordinary
 * relocation or becomes a klp one, with which object and position (the
 * README's "What it decides", in that order).
 */
import { type ElfFile, STB } from '../elf/index.js';
import type { Annotation, AnnotationProblem } from './annotations.js';
import type { DiagnosticLocation, Diagnostics } from './diagnostics.js';
import { kernelModuleName, objectNameProblem, symbolNameProblem } from './naming.js';
import { sourceFileMatches, symbolTypeOfKind } from '../symbols/hints.js';
import { isDefinitionKind } from '../symbols/nm-letters.js';
import type { MapDefinition, PositionHintInput, SymbolLookup } from './symbol-source.js';
import type { Candidate, PlanOptions, ConvertedSymbol } from './plan-model.js';
import { KEPT_WITHOUT_SYMBOL_INFORMATION } from './plan-model.js';
import { describeHint, describeCandidates } from './candidate-text.js';

type Decision =
  | { kind: 'keep'; reason: string }
  | { kind: 'convert'; name: string; object: string; position: number; gate: string; how: ConvertedSymbol['how'] };

export class Resolver {
  constructor(
    private readonly elf: ElfFile,
    private readonly lookup: SymbolLookup,
    private readonly diags: Diagnostics,
    private readonly options: PlanOptions,
  ) {}

  /** The first relocation to the symbol: where its diagnostics point. */
  private at(c: Candidate): DiagnosticLocation {
    const r = c.references[0]!;
    const { offset } = r.relocation;
    return { file: this.elf.fileName, section: r.section.name, relocationOffset: offset, symbol: c.symbol.name };
  }

  decide(
    c: Candidate,
    annotation: Annotation | AnnotationProblem | undefined,
    hint: PositionHintInput | undefined,
  ): Decision | undefined {
    const d = this.decideOnce(c, annotation, hint);
    if (d?.kind === 'convert' && d.object !== 'vmlinux' && !this.stableWhileLoading(c, d.object, d.name, d.position)) {
      return undefined;
    }
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
        this.at(c),
        `'${name}' is unique in ${object} after it initialises, but while ${object} is loading the kernel counts ` +
          `${atLoad} symbols of that name (init symbols too); ` +
          'a livepatch loaded first would fail with "unresolvable ambiguity"',
        { remedy: 'rename the init symbol in the target, or load the livepatch only after the target' },
      );
      return false;
    }
    const def = this.lookup.definitions(name).find((x) => x.object === object && x.rank === position);
    if (!def || def.loadRank === undefined || def.loadRank === position) return true;
    this.diags.error(
      'KLP025',
      this.at(c),
      `position ${position} of '${name}' in ${object} (of ${after ?? '?'}) becomes position ${def.loadRank} ` +
        `while ${object} is loading (init symbols count then); ` +
        'a livepatch loaded first would resolve a different symbol',
    );
    return false;
  }

  private decideOnce(
    c: Candidate,
    annotation: Annotation | AnnotationProblem | undefined,
    hint: PositionHintInput | undefined,
  ): Decision | undefined {
    const name = c.symbol.name;
    if (annotation?.kind === 'problem') {
      this.diags.error(annotation.code, this.at(c), annotation.description);
      return undefined;
    }

    // A name that is the kernel's (not one an annotation wraps, as an asm label does) must be one it can read.
    const nameProblem = annotation === undefined || annotation.name === name ? symbolNameProblem(name) : undefined;
    if (nameProblem) {
      this.diags.error('KLP021', this.at(c), nameProblem);
      return undefined;
    }

    if (annotation) {
      const otherObject = hint?.object !== undefined && kernelModuleName(hint.object) !== annotation.object;
      const otherPosition = hint?.position !== undefined && hint.position !== annotation.position;
      if (hint && (otherObject || otherPosition)) {
        this.diags.error(
          'KLP018',
          this.at(c),
          `'${name}' is annotated as ${annotation.object},${annotation.position} (${annotation.where}) ` +
            `but ${hint.origin.file}:${hint.origin.line} says ${describeHint(hint).replace(/ \(.*\)$/, '')}`,
          { remedy: 'keep one of the two' },
        );
        return undefined;
      }
      const { object, position } = annotation;
      if (!this.checkExplicit(c, object, annotation.name, position, annotation.source)) return undefined;
      return { kind: 'convert', name: annotation.name, object, position, gate: annotation.gate, how: annotation.how };
    }

    const exp = this.lookup.exporter(name);
    if (exp) {
      const object = kernelModuleName(exp.object);
      if (object === 'vmlinux') {
        return { kind: 'keep', reason: `exported by vmlinux (${exp.origin.file}:${exp.origin.line})` };
      }
      if (this.options.keepModuleExports) {
        const reason = `exported by module ${object}; kept ordinary as asked (the livepatch will depend on ${object})`;
        return { kind: 'keep', reason };
      }
      const position = this.exportPosition(object, name);
      return { kind: 'convert', name, object, position, gate: object, how: 'module-export' };
    }

    if (hint?.position !== undefined && hint.object !== undefined) {
      const source = `${hint.origin.file}:${hint.origin.line}`;
      if (!this.checkExplicit(c, hint.object, name, hint.position, source)) return undefined;
      const { object, position } = hint;
      return { kind: 'convert', name, object, position, gate: object, how: 'positions-file' };
    }

    return this.fromMaps(c, hint);
  }

  /** A module export is global, so normally unique in its module; if the map says otherwise, use the global's rank. */
  private exportPosition(object: string, name: string): number {
    const n = this.lookup.countIn(object, name);
    if (n === undefined || n <= 1) return 0;
    const global = this.lookup
      .definitions(name)
      .find((d) => d.object === object && d.kind !== undefined && /^[A-Z]$/.test(d.kind) && d.kind !== 'U');
    return global?.rank ?? 0;
  }

  /** Validate an object and position the author gave, against the maps where they describe that object. */
  private checkExplicit(c: Candidate, object: string, name: string, position: number, source: string): boolean {
    const problem = objectNameProblem(object) ?? symbolNameProblem(name);
    if (problem) {
      this.diags.error('KLP021', this.at(c), `${source}: ${problem}`);
      return false;
    }
    const count = this.lookup.countIn(object, name) ?? (this.lookup.objects.has(object) ? 0 : undefined);
    if (count === undefined) return true; // no map describes that object: trust the author
    if (count === 0) {
      const what = `${source} names '${name}' in ${object}, but the symbol maps have no '${name}' in ${object}`;
      this.diags.error('KLP022', this.at(c), what, { notes: this.candidateNotes(name) });
      return false;
    }
    if (position === 0 && count > 1) {
      this.diags.error(
        'KLP023',
        this.at(c),
        `${source} gives position 0 for '${name}' in ${object}, but ${object} has ${count} symbols of that name; ` +
          'position 0 means the only one',
        { notes: this.candidateNotes(name) },
      );
      return false;
    }
    if (position > count) {
      const what = `${source} gives position ${position} for '${name}' in ${object}, which has only ${count}`;
      this.diags.error('KLP024', this.at(c), what, { notes: this.candidateNotes(name) });
      return false;
    }
    return true;
  }

  private fromMaps(c: Candidate, hint: PositionHintInput | undefined): Decision | undefined {
    const name = c.symbol.name;
    let defs = definitionsOnly(this.lookup.definitions(name));
    if (hint) defs = defs.filter((d) => matchesHint(d, hint));

    if (defs.length === 0) {
      if (hint?.object !== undefined && !this.lookup.objects.has(hint.object)) {
        // The positions file names an object no map describes: trust it, as for annotations.
        return { kind: 'convert', name, object: hint.object, position: 0, gate: hint.object, how: 'positions-file' };
      }
      if (c.symbol.bind === STB.WEAK) {
        const what = `weak symbol '${name}' is in no symbol map and not exported`;
        this.diags.warning('KLP033', this.at(c), `${what}; left undefined (the kernel resolves it to 0)`);
        return { kind: 'keep', reason: 'weak, found nowhere' };
      }
      const all = definitionsOnly(this.lookup.definitions(name));
      if (hint && all.length > 0) {
        const notes = this.candidateNotes(name);
        if (hint.file !== undefined && all.every((d) => d.file === undefined)) {
          notes.push(
            `the maps that describe '${name}' record no source files ` +
              '(a /proc/kallsyms dump, System.map or upstream map);',
            'give first a map generated by `klp-convert symbols` from objects with symbols (STT_FILE), ' +
              'or use a position',
          );
        }
        this.diags.error('KLP031', this.at(c), `no definition of '${name}' matches ${describeHint(hint)}`, { notes });
      } else if (this.options.annotationsOnly) {
        return { kind: 'keep', reason: KEPT_WITHOUT_SYMBOL_INFORMATION };
      } else {
        // The remedy stays a note: suggestions (suggestions.ts) are appended after it.
        const searched = this.lookup.objects.size;
        this.diags.error('KLP030', this.at(c), `symbol '${name}' is not exported and is in no symbol map`, {
          notes: [
            searched === 0
              ? 'no symbol map was given: pass --symbols <map> (or --kdir)'
              : `searched ${searched} objects`,
            "if a module exports it, pass that module's Module.symvers with --symvers",
          ],
          unknownSymbol: name,
        });
      }
      return undefined;
    }

    if (!inOneObject(defs)) {
      this.ambiguous(c, defs, `is defined in ${new Set(defs.map((d) => d.object)).size} objects`);
      return undefined;
    }
    const object = kernelModuleName(defs[0]!.object);
    const count = this.lookup.countIn(defs[0]!.object, name) ?? defs.length;
    if (count === 1 && defs.length === 1) {
      return { kind: 'convert', name, object, position: 0, gate: object, how: hint ? 'positions-file' : 'unique' };
    }
    if (defs.length === 1) {
      const rank = defs[0]!.rank;
      if (rank !== undefined && this.lookup.orderKnown(defs[0]!.object, name)) {
        return { kind: 'convert', name, object, position: rank, gate: object, how: 'map-position' };
      }
      this.ambiguous(
        c,
        definitionsOnly(this.lookup.definitions(name)),
        `has ${count} definitions in ${object} and the map does not know their kallsyms order`,
      );
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
    const remedy = [
      'say which one in a positions file (--positions), e.g.:',
      `  ${name}: { object: ${first.object}, position: ${pos} }`,
      'or annotate the source:',
      `  KLP_MODULE_RELOC(${first.object}) = { KLP_SYMPOS(${name}, ${pos}) };`,
    ].join('\n');
    this.diags.error('KLP032', this.at(c), `symbol '${name}' ${what}; its position is ambiguous`, { notes, remedy });
  }

  private candidateNotes(name: string): string[] {
    const defs = definitionsOnly(this.lookup.definitions(name));
    if (defs.length === 0) return [];
    return ['the maps know:', ...describeCandidates(defs).map((l) => `  ${l}`)];
  }
}

/** Whether all of `defs` are in one object (a loop: asked once a candidate, and most have one definition). */
function inOneObject(defs: readonly MapDefinition[]): boolean {
  for (let i = 1; i < defs.length; i++) if (defs[i]!.object !== defs[0]!.object) return false;
  return true;
}

/** The definitions among `entries`: `entries` itself when all are (most names), else a filtered copy. */
function definitionsOnly(entries: readonly MapDefinition[]): readonly MapDefinition[] {
  for (let i = 0; i < entries.length; i++) if (!isDefinition(entries[i]!)) return entries.filter(isDefinition);
  return entries;
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
