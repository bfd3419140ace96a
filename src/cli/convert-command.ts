/**
 * The converting command: its options in, its words out. The work itself is
 * convertFile (src/convert/run.ts), the library function the package's API
 * exports too.
 */
import { relocationTypeName } from '../elf/index.js';
import { ConversionFailed, type Diagnostic, diagnosticJson } from '../convert/diagnostics.js';
import { type ConvertFileResult, OutputWriteError, assertWritablePath, convertFile } from '../convert/run.js';
import { exitCodeOf } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { ioReason } from '../util/read-file.js';
import { EXIT } from './exit-codes.js';
import { type Reporter, describeError, printDiagnostics } from './report.js';

export interface ConvertCommandOptions {
  input: string;
  output: string;
  symbols: string[];
  symvers: string[];
  kdir?: string;
  positions?: string;
  keepModuleExports: boolean;
  dryRun: boolean;
  json?: string;
  /** With no map and no Module.symvers given, look where kbuild and distributions keep them. */
  auto: boolean;
}

export async function runConvert(opts: ConvertCommandOptions, out: Reporter): Promise<number> {
  let result: ConvertFileResult;
  try {
    // A report that cannot be written is found out before the module is.
    if (opts.json && opts.json !== '-') await assertWritablePath(opts.json, 'the JSON report');
    result = await convertFile({ ...opts, onNote: (text) => out.line(`klp-convert: ${text}`) });
  } catch (e) {
    if (e instanceof ConversionFailed) {
      printDiagnostics(out, e.diagnostics);
      const n = e.diagnostics.filter((d) => d.severity === 'error').length;
      out.line(`klp-convert: ${opts.input}: not converted (${n} error${n === 1 ? '' : 's'}); nothing written`);
      const failed = () => ({
        input: opts.input,
        output: null,
        converted: [],
        kept: [],
        diagnostics: reportDiagnostics(e.diagnostics),
      });
      if (!(await writeJson(opts, out, failed))) {
        return EXIT.BAD_INPUT;
      }
    } else {
      if (e instanceof OutputWriteError) printOutcome(out, e.result);
      out.error(describeError(e));
    }
    // Each error carries its exit status; anything else (an I/O error of Node's) is an input that could not be read.
    return exitCodeOf(e, EXIT.BAD_INPUT);
  }

  printOutcome(out, result);
  out.line(summary(opts, result));
  const { plan } = result;
  // Made only for --json: at 1,000 targets it is 2,500 relocation records, ~0.5 MB to allocate.
  const reported = await writeJson(opts, out, () => ({
    input: opts.input,
    output: opts.dryRun ? null : opts.output,
    changed: result.changed,
    converted: plan.converted.map((c) => ({
      symbol: c.name,
      object: c.object,
      position: c.position,
      klpSymbol: c.klpName,
      rule: c.how,
      relocationSection: c.gate,
      relocations: c.references.map((r) => ({
        section: r.section.name,
        offset: `0x${r.relocation.offset.toString(16)}`,
        type: relocationTypeName(result.machine, r.relocation.type),
        addend: r.relocation.addend.toString(),
      })),
    })),
    kept: plan.kept,
    klpSections: result.applied?.klpSections.map((s) => s.name) ?? [],
    removedSections: result.applied?.removedSections ?? [],
    diagnostics: reportDiagnostics(result.diagnostics),
  }));
  return reported ? EXIT.OK : EXIT.BAD_INPUT;
}

/** The warnings, then (with --verbose) every decision. */
function printOutcome(out: Reporter, result: ConvertFileResult): void {
  printDiagnostics(out, result.diagnostics);
  if (!out.verboseShown) return;
  for (const c of result.plan.converted) {
    const refs = c.references.length;
    out.verbose(`  ${c.name} -> ${c.klpName} (${c.how}; ${refs} relocation${refs === 1 ? '' : 's'} in ${c.gate})`);
  }
  for (const k of result.plan.kept) out.verbose(`  ${k.name}: kept ordinary, ${k.reason}`);
}

function summary(opts: ConvertCommandOptions, r: ConvertFileResult): string {
  const objects = [...new Set(r.plan.converted.map((c) => c.gate))];
  const moved = r.applied?.movedRelocations ?? 0;
  const dest = opts.dryRun
    ? ' (dry run: nothing written)'
    : opts.input === opts.output
      ? ` (${opts.output} rewritten)`
      : ` (${opts.output})`;
  if (r.plan.converted.length === 0) {
    const kept = count(r.plan.kept.length, 'undefined symbol');
    return `klp-convert: nothing to convert in ${opts.input}; ${kept} stay ordinary${dest}`;
  }
  const converted = `${count(moved, 'relocation')} to ${count(r.plan.converted.length, 'symbol')}`;
  return `klp-convert: converted ${converted} in ${objects.join(', ')}${dest}`;
}

/** `1 symbol`, `2 symbols`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function reportDiagnostics(diags: readonly Diagnostic[]): Record<string, unknown>[] {
  return diags.map(diagnosticJson);
}

/** Writes the report; false (with the error said, and whether the module was written) when it cannot. */
async function writeJson(
  opts: ConvertCommandOptions,
  out: Reporter,
  makeReport: () => { output: string | null; [field: string]: unknown },
): Promise<boolean> {
  if (!opts.json) return true;
  const report = makeReport();
  const text = JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
  try {
    if (opts.json === '-') out.stdout(text);
    else await writeFileAtomic(opts.json, Buffer.from(text));
    return true;
  } catch (e) {
    const written = report.output ? `${report.output} was written, but ` : '';
    out.error(`${written}the JSON report ${opts.json} could not be written: ${ioReason(e)}`);
    return false;
  }
}
