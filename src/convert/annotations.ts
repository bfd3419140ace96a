/**
 * Where the source says which object and position a symbol has. Every
 * format of such annotations enters the plan here: a format is one file that
 * implements AnnotationFormat, and one line of ANNOTATION_FORMATS.
 */
import type { ElfFile, ElfSymbol, Section } from '../elf/index.js';
import type { DiagnosticCode } from './codes.js';
import type { Diagnostics } from './diagnostics.js';
import type { Candidate, ConvertedSymbol } from './plan-model.js';
import { asmLabels } from './annotation-labels.js';
import { klpSymposSections } from './annotation-sympos.js';

/** What an annotation says of one undefined symbol of the livepatch. */
export interface Annotation {
  kind: 'annotation';
  symbol: ElfSymbol;
  /** The symbol's name in its object (an asm label wraps it in its own name). */
  name: string;
  object: string;
  position: number;
  /** The object whose loading applies the relocations (names the .klp.rela section). */
  gate: string;
  how: Extract<ConvertedSymbol['how'], 'annotation' | 'asm-label'>;
  /** Where the annotation is, for messages: `<section>+<offset>`, or the label. */
  where: string;
  /** The annotation as messages name it: `annotation <where>`, `asm label '<name>'`. */
  source: string;
}

/** An annotation that could not be read; reported where its symbol is first used, in candidate order. */
export interface AnnotationProblem {
  kind: 'problem';
  symbol: ElfSymbol;
  code: DiagnosticCode;
  description: string;
}

export interface AnnotationFormat {
  /** Sections that hold only this format's data: removed from the output, their relocations no candidates. */
  dataSections(elf: ElfFile): Iterable<Section>;
  /** What the format says, in the order found; malformed data reported in `diags` (or as problems). */
  read(elf: ElfFile, candidates: readonly Candidate[], diags: Diagnostics): (Annotation | AnnotationProblem)[];
}

/** Every format klp-convert reads, in the order their annotations are indexed. */
export const ANNOTATION_FORMATS: readonly AnnotationFormat[] = [klpSymposSections, asmLabels];

/**
 * Annotation data sections and the relocation sections that fill them. Known
 * before any map is loaded, so their relocations are never conversion candidates.
 */
export function annotationSections(elf: ElfFile): Set<Section> {
  return new Set(ANNOTATION_FORMATS.flatMap((f) => [...f.dataSections(elf)]));
}

/** Every format's annotations of the candidates. */
export function readAnnotations(
  elf: ElfFile,
  candidates: readonly Candidate[],
  diags: Diagnostics,
): (Annotation | AnnotationProblem)[] {
  return ANNOTATION_FORMATS.flatMap((f) => f.read(elf, candidates, diags));
}
