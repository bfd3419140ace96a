import { promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ElfFile, parseElf, relocationTypeName } from '../elf/index.js';
import { ConversionFailed, type Diagnostic, formatDiagnostic } from '../convert/diagnostics.js';
import { type ConversionResult, convertElf, symbolsToLookUp } from '../convert/convert.js';
import { EMPTY_LOOKUP, type PositionHintInput, type SymbolLookup } from '../convert/symbol-source.js';
import { loadPositions, loadSymbolIndex } from '../symbols/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { InputFileError, ioReason, readRegularFile } from '../util/read-file.js';
import { EXIT } from './exit-codes.js';
import { autoInputs, fromKdir, type KernelInputs, moduleRelease } from './kernel-inputs.js';
import { type Reporter, UsageProblem, describeError } from './report.js';

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
  const symbols = [...opts.symbols];
  const symvers = [...opts.symvers];
  try {
    // A report that cannot be written is found out before the module is.
    if (opts.json && opts.json !== '-') await assertWritablePath(opts.json, 'the JSON report');
    if (!opts.dryRun) await assertWritablePath(opts.output, 'the output');
    if (opts.kdir) {
      const found = await fromKdir(opts.kdir);
      symbols.push(...found.symbols);
      symvers.push(...found.symvers);
    }
  } catch (e) {
    out.error(describeError(e));
    return e instanceof UsageProblem ? EXIT.USAGE : EXIT.BAD_INPUT;
  }

  let result: ConversionResult;
  let machine = 0;
  let lookup: SymbolLookup = EMPTY_LOOKUP;
  try {
    const input = await readRegularFile(opts.input);
    const elf = parseElf(input, opts.input);
    machine = elf.machine;
    if (symbols.length === 0 && symvers.length === 0 && opts.auto) {
      const found = await findKernelInputs(elf, opts.input, out);
      symbols.push(...found.symbols);
      symvers.push(...found.symvers);
    }
    // Nothing anywhere: only annotations can say what to convert.
    const annotationsOnly = symbols.length === 0 && symvers.length === 0;
    const wanted = symbolsToLookUp(elf);
    const hints: PositionHintInput[] = opts.positions ? await loadPositions(opts.positions) : [];
    for (const h of hints) wanted.add(h.name);
    if (symbols.length > 0 || symvers.length > 0) lookup = await loadSymbolIndex({ maps: symbols, symvers }, wanted);
    result = convertElf(elf, input, lookup, hints, { keepModuleExports: opts.keepModuleExports, annotationsOnly });
  } catch (e) {
    if (e instanceof ConversionFailed) {
      printDiagnostics(out, e.diagnostics);
      const n = e.diagnostics.filter((d) => d.severity === 'error').length;
      out.line(`klp-convert: ${opts.input}: not converted (${n} error${n === 1 ? '' : 's'}); nothing written`);
      if (!(await writeJson(opts, out, { input: opts.input, output: null, converted: [], kept: [], diagnostics: e.diagnostics }))) return EXIT.BAD_INPUT;
      return e.diagnostics.some((d) => d.internal) ? EXIT.INTERNAL : EXIT.CONVERSION_FAILED;
    }
    out.error(describeError(e));
    return EXIT.BAD_INPUT;
  }

  printDiagnostics(out, result.diagnostics);
  const { plan } = result;
  for (const c of plan.converted) {
    const refs = c.references.length;
    out.verbose(`  ${c.name} -> ${c.klpName} (${c.how}; ${refs} relocation${refs === 1 ? '' : 's'} in ${c.gate})`);
  }
  for (const k of plan.kept) out.verbose(`  ${k.name}: kept ordinary, ${k.reason}`);

  if (!opts.dryRun) {
    try {
      const mode = (await fs.stat(opts.input)).mode & 0o777;
      await writeFileAtomic(opts.output, result.output, mode);
    } catch (e) {
      out.error(`cannot write ${opts.output}: ${describeError(e)}`);
      return EXIT.BAD_INPUT;
    }
  }
  out.line(summary(opts, result));
  const reported = await writeJson(opts, out, {
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
      relocations: c.references.map((r) => ({ section: r.section.name, offset: `0x${r.relocation.offset.toString(16)}`, type: relocationTypeName(machine, r.relocation.type), addend: r.relocation.addend.toString() })),
    })),
    kept: plan.kept,
    klpSections: result.applied?.klpSections.map((s) => s.name) ?? [],
    removedSections: result.applied?.removedSections ?? [],
    diagnostics: result.diagnostics,
  });
  return reported ? EXIT.OK : EXIT.BAD_INPUT;
}

/** The no-option case: the inputs kbuild and distributions keep for the module's kernel, said in one line. */
async function findKernelInputs(elf: ElfFile, file: string, out: Reporter): Promise<KernelInputs> {
  const release = moduleRelease(elf);
  if (!release) {
    out.line(`klp-convert: ${file}: no vermagic in .modinfo, so no kernel to look for maps of; pass --symbols/--symvers or --kdir`);
    return { symbols: [], symvers: [] };
  }
  const found = await autoInputs(release);
  const used = [...found.symvers, ...found.symbols];
  out.line(
    used.length > 0
      ? `klp-convert: ${file} is for kernel ${release}: using ${used.join(', ')} (--no-auto: use only what is given)`
      : `klp-convert: ${file} is for kernel ${release}: found no Module.symvers or symbol map (looked in ${found.searched.join(', ')})`,
  );
  return found;
}

function summary(opts: ConvertCommandOptions, r: ConversionResult): string {
  const objects = [...new Set(r.plan.converted.map((c) => c.gate))];
  const moved = r.applied?.movedRelocations ?? 0;
  const dest = opts.dryRun ? ' (dry run: nothing written)' : opts.input === opts.output ? ` (${opts.output} rewritten)` : ` (${opts.output})`;
  if (r.plan.converted.length === 0) {
    return `klp-convert: nothing to convert in ${opts.input}; ${r.plan.kept.length} undefined symbol${r.plan.kept.length === 1 ? '' : 's'} stay ordinary${dest}`;
  }
  const nsym = r.plan.converted.length;
  return `klp-convert: converted ${moved} relocation${moved === 1 ? '' : 's'} to ${nsym} symbol${nsym === 1 ? '' : 's'} in ${objects.join(', ')}${dest}`;
}

function printDiagnostics(out: Reporter, diags: Diagnostic[]): void {
  for (const d of diags) {
    if (d.severity === 'warning') out.warn(formatDiagnostic(d));
    else out.line(formatDiagnostic(d));
  }
}

/** Writes the report; false (with the error said, and whether the module was written) when it cannot. */
async function writeJson(opts: ConvertCommandOptions, out: Reporter, report: { output: string | null; [field: string]: unknown }): Promise<boolean> {
  if (!opts.json) return true;
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

/** The directory of `path` exists and `path` is not a directory: a write there can succeed. */
async function assertWritablePath(path: string, what: string): Promise<void> {
  const dir = dirname(resolve(path));
  const d = await fs.stat(dir).catch(() => undefined);
  if (!d?.isDirectory()) throw new InputFileError(path, `cannot write ${what} there: ${d ? `${dir} is not a directory` : `no directory ${dir}`}`);
  const f = await fs.stat(path).catch(() => undefined);
  if (f?.isDirectory()) throw new InputFileError(path, `cannot write ${what} there: it is a directory`);
  // The atomic write renames over the target: never over a device, a FIFO or a socket.
  if (f && !f.isFile()) throw new InputFileError(path, `cannot write ${what} there: it is not a regular file`);
}
