import type { DiagnosticCode } from './codes.js';

/** One problem or remark found while converting; errors stop the run, warnings do not. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable code of the kind of problem (codes.ts; the README's table). */
  code: DiagnosticCode;
  /** What is wrong, in one line; names the file, section, offset or line. */
  message: string;
  /** Further lines: candidates, the reason, the remedy. */
  notes?: string[];
  /** The undefined symbol no map or export list knows (suggestions are looked up for it). */
  unknownSymbol?: string;
  /** A fault of klp-convert itself, not of its inputs (exit status 4). */
  internal?: boolean;
}

export class Diagnostics {
  readonly items: Diagnostic[] = [];

  error(code: DiagnosticCode, message: string, notes?: string[], unknownSymbol?: string): void {
    this.items.push({ severity: 'error', code, message, ...(notes ? { notes } : {}), ...(unknownSymbol !== undefined ? { unknownSymbol } : {}) });
  }

  warning(code: DiagnosticCode, message: string, notes?: string[]): void {
    this.items.push({ severity: 'warning', code, message, ...(notes ? { notes } : {}) });
  }

  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }

  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'warning');
  }
}

/** Render for a terminal: `klp-convert: error: ...` then indented notes. */
export function formatDiagnostic(d: Diagnostic): string {
  const lines = [`klp-convert: ${d.severity}: ${d.message} [${d.code}]`];
  for (const n of d.notes ?? []) lines.push(`  ${n}`);
  return lines.join('\n');
}

/** A run that found errors: every one of them, collected before giving up. */
export class ConversionFailed extends Error {
  override readonly name = 'ConversionFailed';

  constructor(readonly diagnostics: Diagnostic[]) {
    const n = diagnostics.filter((d) => d.severity === 'error').length;
    super(`${n} error${n === 1 ? '' : 's'}`);
  }
}

export function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}
