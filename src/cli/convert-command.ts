import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { parseElf, relocationTypeName } from '../elf/index.js';
import { ConversionFailed, type Diagnostic, formatDiagnostic } from '../convert/diagnostics.js';
import { type ConversionResult, convertElf, symbolsToLookUp } from '../convert/convert.js';
import { EMPTY_LOOKUP, type PositionHintInput, type SymbolLookup } from '../convert/symbol-source.js';
import { loadPositions, loadSymbolIndex } from '../symbols/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { EXIT } from './exit-codes.js';
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
}

/** Maps and exports found in a kernel build or headers directory. */
async function fromKdir(kdir: string): Promise<{ symbols: string[]; symvers: string[] }> {
  const symbols: string[] = [];
  const symvers: string[] = [];
  const present = async (p: string): Promise<boolean> => fs.stat(p).then((s) => s.isFile(), () => false);
  if (await present(join(kdir, 'Module.symvers'))) symvers.push(join(kdir, 'Module.symvers'));
  for (const name of ['symbols.klp', 'symbols.klp.gz']) {
    if (await present(join(kdir, name))) symbols.push(join(kdir, name));
  }
  // Debian ships an 83-byte System.map stub that points at the -dbg package: useless as a map.
  const sysmap = join(kdir, 'System.map');
  if (await present(sysmap)) {
    const head = (await fs.readFile(sysmap)).subarray(0, 200).toString('latin1');
    if (!head.includes('The real System.map is in')) symbols.push(sysmap);
  }
  if (symbols.length === 0 && symvers.length === 0) {
    throw new UsageProblem(`--kdir ${kdir}: found no Module.symvers, symbols.klp or System.map there`);
  }
  return { symbols, symvers };
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
    const wanted = symbolsToLookUp(elf);
    const hints: PositionHintInput[] = opts.positions ? await loadPositions(opts.positions) : [];
    for (const h of hints) wanted.add(h.name);
    if (symbols.length > 0 || symvers.length > 0) lookup = await loadSymbolIndex({ maps: symbols, symvers }, wanted);
    result = convertElf(elf, input, lookup, hints, { keepModuleExports: opts.keepModuleExports });
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
