import { KlpError } from '../util/errors.js';
import { EXIT, type ExitCode } from '../util/exit-codes.js';
import type { DiagnosticCode } from './codes.js';

/**
 * Where a diagnostic points. Each field names one kind of place, so an
 * offset is never ambiguous: `relocationOffset` is a relocation's r_offset
 * (an offset in the section it patches), `fileOffset` a byte of the file.
 */
export interface DiagnosticLocation {
  /** The module, map or positions file, as the user named it. */
  file?: string;
  /** The relocation section (or, for annotations, the section) the problem is in. */
  section?: string;
  /** r_offset of the relocation concerned. */
  relocationOffset?: bigint;
  /** A byte offset in the file. */
  fileOffset?: number;
  /** The symbol concerned, as the module names it. */
  symbol?: string;
  /** 1-based line of a map or positions file. */
  line?: number;
}

/** One problem or remark found while converting; errors stop the run, warnings do not. */
export interface Diagnostic extends DiagnosticLocation {
  severity: 'error' | 'warning';
  /** Stable code of the kind of problem (codes.ts; the README's table). */
  code: DiagnosticCode;
  /** What is wrong, in one line, rendered from the location (locationText) and the description. */
  message: string;
  /** Further lines: candidates, the reason. */
  notes?: string[];
  /** What to do about it; the last line of the text (one note line per line of it). */
  remedy?: string;
  /** The undefined symbol no map or export list knows (suggestions are looked up for it). */
  unknownSymbol?: string;
  /** A fault of klp-convert itself, not of its inputs (exit status 4). */
  internal?: boolean;
}

/**
 * Codes whose remedy comes from a rule table (special sections, architecture rules) after the rule's reason:
 * the text labels it, as it always has. Other remedies read as plain instructions.
 */
const LABELLED_REMEDY: ReadonlySet<DiagnosticCode> = new Set(['KLP042', 'KLP044']);

/**
 * The location as a message starts: `<file>:<line>` for text inputs, else
 * `<file>: section '<s>' offset <r_offset>` (a relocation) or
 * `<file>: section '<s>': offset <file offset>`, each part where known.
 * The symbol is not part of it: the description names it in its sentence.
 */
export function locationText(at: DiagnosticLocation): string {
  if (at.line !== undefined) return `${at.file ?? ''}:${at.line}`;
  const parts: string[] = [];
  if (at.file !== undefined) parts.push(at.file);
  if (at.section !== undefined) {
    const offset = at.relocationOffset !== undefined ? ` offset ${hex(at.relocationOffset)}` : '';
    parts.push(`section '${at.section}'${offset}`);
  }
  if (at.fileOffset !== undefined) parts.push(`offset ${hex(at.fileOffset)}`);
  return parts.join(': ');
}

/** Extra parts of a diagnostic besides its location and description. */
export interface DiagnosticDetails {
  notes?: string[];
  remedy?: string;
  unknownSymbol?: string;
  /**
   * Fields to record that the location text does not show, because the
   * description says them in its own words (`entry 3 (offset 0x24)`).
   */
  unrendered?: DiagnosticLocation;
}

/** A diagnostic from its parts: the message is the location text, then the description. */
export function diagnostic(
  severity: Diagnostic['severity'],
  code: DiagnosticCode,
  at: DiagnosticLocation,
  description: string,
  details: DiagnosticDetails = {},
): Diagnostic {
  const where = locationText(at);
  const { unrendered, ...rest } = details;
  return {
    severity,
    code,
    message: where === '' ? description : `${where}: ${description}`,
    ...unrendered,
    ...definedFields(at),
    ...definedFields(rest),
  };
}

function definedFields<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(code: DiagnosticCode, at: DiagnosticLocation, description: string, details?: DiagnosticDetails): void {
    this.items.push(diagnostic('error', code, at, description, details));
  }

  warning(code: DiagnosticCode, at: DiagnosticLocation, description: string, details?: DiagnosticDetails): void {
    this.items.push(diagnostic('warning', code, at, description, details));
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }

  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'warning');
  }
}

/** The lines under the message: the notes, then the remedy. */
export function detailLines(d: Diagnostic): string[] {
  const lines = [...(d.notes ?? [])];
  if (d.remedy !== undefined) {
    lines.push(...(LABELLED_REMEDY.has(d.code) ? `remedy: ${d.remedy}` : d.remedy).split('\n'));
  }
  return lines;
}

/** Render for a terminal: `klp-convert: error: ... [KLPxxx]` then the indented notes and remedy. */
export function formatDiagnostic(d: Diagnostic): string {
  return [`klp-convert: ${d.severity}: ${d.message} [${d.code}]`, ...detailLines(d).map((l) => `  ${l}`)].join('\n');
}

/**
 * A diagnostic for the JSON report: every field, with offsets in hex like the
 * report's relocation offsets, and `notes` as the text shows them (the remedy
 * last), as the report always had them.
 */
export function diagnosticJson(d: Diagnostic): Record<string, unknown> {
  const lines = detailLines(d);
  return definedFields({
    severity: d.severity,
    code: d.code,
    message: d.message,
    file: d.file,
    section: d.section,
    relocationOffset: d.relocationOffset !== undefined ? hex(d.relocationOffset) : undefined,
    fileOffset: d.fileOffset !== undefined ? hex(d.fileOffset) : undefined,
    symbol: d.symbol,
    line: d.line,
    notes: lines.length > 0 ? lines : undefined,
    remedy: d.remedy,
    unknownSymbol: d.unknownSymbol,
    internal: d.internal,
  });
}

/** A run that found errors: every one of them, collected before giving up. */
export class ConversionFailed extends KlpError {
  override readonly name = 'ConversionFailed';

  constructor(readonly diagnostics: Diagnostic[]) {
    const n = diagnostics.filter((d) => d.severity === 'error').length;
    super(`${n} error${n === 1 ? '' : 's'}`);
  }

  /** 4 when klp-convert broke its own output, else 1: the module cannot be converted as it is. */
  get exitCode(): ExitCode {
    return this.diagnostics.some((d) => d.internal) ? EXIT.INTERNAL : EXIT.CONVERSION_FAILED;
  }
}

export function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}
