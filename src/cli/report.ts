import { ElfFormatError, ElfModelError } from '../elf/index.js';

/** Where the CLI's words go; tests capture them. */
export interface Reporter {
  /** Always shown (summaries, errors). */
  line(text: string): void;
  error(text: string): void;
  /** Hidden with --quiet. */
  warn(text: string): void;
  /** Shown with --verbose. */
  verbose(text: string): void;
  stdout(text: string): void;
}

export function consoleReporter(level: { quiet: boolean; verbose: boolean }): Reporter {
  return {
    line: (t) => process.stderr.write(t + '\n'),
    error: (t) => process.stderr.write(`klp-convert: error: ${t}\n`),
    warn: (t) => {
      if (!level.quiet) process.stderr.write(t + '\n');
    },
    verbose: (t) => {
      if (level.verbose) process.stderr.write(t + '\n');
    },
    stdout: (t) => process.stdout.write(t),
  };
}

/** One line for any error: typed errors carry their own location; I/O errors name their path. */
export function describeError(e: unknown): string {
  if (e instanceof ElfFormatError || e instanceof ElfModelError) return e.message;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    const path = (e as NodeJS.ErrnoException).path;
    if (code && path) return `${path}: ${code === 'ENOENT' ? 'no such file' : e.message}`;
    return e.message;
  }
  return String(e);
}

/** A wrong command line that commander could not catch itself (exit status 2). */
export class UsageProblem extends Error {
  override readonly name = 'UsageProblem';
}
