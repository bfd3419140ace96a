export { UsageProblem, describeError } from '../util/errors.js';
import { type Diagnostic, formatDiagnostic } from '../convert/diagnostics.js';
import { writeStderr } from './stderr.js';

/** Where the CLI's words go; tests capture them. */
export interface Reporter {
  /** Always shown (summaries, errors). */
  line(text: string): void;
  error(text: string): void;
  /** Hidden with --quiet. */
  warn(text: string): void;
  /** Shown with --verbose. */
  verbose(text: string): void;
  /** Whether verbose() shows anything: its lines are made only then (thousands for a large module). */
  readonly verboseShown: boolean;
  stdout(text: string): void;
}

export function consoleReporter(level: { quiet: boolean; verbose: boolean }): Reporter {
  return {
    line: (t) => writeStderr(t + '\n'),
    error: (t) => writeStderr(`klp-convert: error: ${t}\n`),
    warn: (t) => {
      if (!level.quiet) writeStderr(t + '\n');
    },
    verbose: (t) => {
      if (level.verbose) writeStderr(t + '\n');
    },
    verboseShown: level.verbose,
    stdout: (t) => process.stdout.write(t),
  };
}

/** Every diagnostic through one formatter: errors always shown, warnings hidden with --quiet. */
export function printDiagnostics(out: Reporter, diags: readonly Diagnostic[]): void {
  for (const d of diags) {
    if (d.severity === 'warning') out.warn(formatDiagnostic(d));
    else out.line(formatDiagnostic(d));
  }
}
