import { promises as fs } from 'node:fs';
import { type ElfFile, parseElf, relocationTypeName } from '../elf/index.js';
import { ConversionFailed, type Diagnostic, formatDiagnostic } from '../convert/diagnostics.js';
import { type ConversionResult, convertElf, symbolsToLookUp } from '../convert/convert.js';
import { EMPTY_LOOKUP, type PositionHintInput, type SymbolLookup } from '../convert/symbol-source.js';
import { loadPositions, loadSymbolIndex } from '../symbols/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
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
    const input = await fs.readFile(opts.input);
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
      await writeJson(opts, out, { input: opts.input, output: null, converted: [], kept: [], diagnostics: e.diagnostics });
      return e.diagnostics.some((d) => d.message.startsWith('internal error')) ? EXIT.INTERNAL : EXIT.CONVERSION_FAILED;
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
  await writeJson(opts, out, {
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
  return EXIT.OK;
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

async function writeJson(opts: ConvertCommandOptions, out: Reporter, report: unknown): Promise<void> {
  if (!opts.json) return;
  const text = JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
  if (opts.json === '-') out.stdout(text);
  else await writeFileAtomic(opts.json, Buffer.from(text));
}
