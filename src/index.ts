/**
 * klp-convert as a library: convert a module file as the CLI does
 * (convertFile: find the maps, convert, verify, write atomically), convert a
 * livepatch module held in memory, read symbol maps, and generate them. The
 * CLI (src/cli) only parses arguments and prints; every error it reports is
 * a KlpError that carries its exit status (exitCode) and location.
 *
 *   import { convertFile } from 'klp-convert';
 *   const { diagnostics } = await convertFile({ input: 'lp.ko', output: 'lp.ko', kdir: '/lib/modules/6.8.0/build' });
 *
 *   import { convertModule, loadSymbolIndex } from 'klp-convert';
 *   const lookup = await loadSymbolIndex({ maps: ['kallsyms.txt'], symvers: ['Module.symvers'] }, new Set());
 *   const { output, converted } = convertModule(bytes, { lookup, fileName: 'lp.ko' });
 */
import { type ConversionResult, convertElf } from './convert/convert.js';
import type { Diagnostic } from './convert/diagnostics.js';
import { EMPTY_LOOKUP, type PositionHintInput, type SymbolLookup } from './convert/symbol-source.js';
import { parseElf } from './elf/index.js';

export {
  ConversionFailed,
  type Diagnostic,
  type DiagnosticLocation,
  diagnosticJson,
  formatDiagnostic,
} from './convert/diagnostics.js';
export { DIAGNOSTIC_CODES, type DiagnosticCode } from './convert/codes.js';
export { checkLivepatchElf, hasLivepatchModinfo, livepatchRuleViolations } from './convert/verify.js';
export { convertFile, OutputWriteError, type ConvertFileOptions, type ConvertFileResult } from './convert/run.js';
export { KlpError, UsageProblem, exitCodeOf, type ErrorLocation } from './util/errors.js';
export { EXIT, type ExitCode } from './util/exit-codes.js';
export { InputFileError } from './util/read-file.js';
export { symbolsToLookUp, type ConversionResult } from './convert/convert.js';
export type { SymbolLookup, PositionHintInput } from './convert/symbol-source.js';
export { ElfFormatError, ElfModelError, parseElf, writeElf, type ElfFile } from './elf/index.js';
export {
  loadSymbolIndex,
  loadPositions,
  detectMapFormat,
  SymbolMapError,
  SymbolSourceError,
  type SymbolIndex,
  type SymbolEntry,
  type ExportEntry,
} from './symbols/index.js';
export { generateSymbolMap, type GenerateInputs, type GenerateResult } from './symbols/generate/build-map.js';
export { writeMap, type OutputFormat } from './symbols/generate/write-map.js';

export interface ConvertModuleOptions {
  /** Names the module in messages (default 'module.ko'). */
  fileName?: string;
  /** Maps and exports, from loadSymbolIndex(); none: only annotations are converted. */
  lookup?: SymbolLookup;
  /** Positions-file entries (loadPositions()). */
  hints?: readonly PositionHintInput[];
  /** Keep relocations to symbols exported by modules ordinary. */
  keepModuleExports?: boolean;
}

export interface ConvertedSymbolSummary {
  symbol: string;
  object: string;
  position: number;
  klpSymbol: string;
  relocations: number;
}

export interface ConvertModuleResult {
  /** The converted module (the input bytes when nothing needed converting). */
  output: Uint8Array;
  changed: boolean;
  converted: ConvertedSymbolSummary[];
  /** Warnings (errors throw ConversionFailed with every diagnostic). */
  diagnostics: Diagnostic[];
  /** The full result, for callers that want the plan. */
  result: ConversionResult;
}

/**
 * Convert a livepatch module held in memory. Throws ElfFormatError for a
 * malformed module and ConversionFailed (every error, with its notes) when
 * it cannot be converted as it is. The output is checked against the
 * kernel's rules before it is returned; the same input gives the same bytes.
 */
export function convertModule(bytes: Uint8Array, options: ConvertModuleOptions = {}): ConvertModuleResult {
  const fileName = options.fileName ?? 'module.ko';
  const elf = parseElf(bytes, fileName);
  const lookup = options.lookup ?? EMPTY_LOOKUP;
  const result = convertElf(elf, bytes, lookup, options.hints ?? [], {
    keepModuleExports: options.keepModuleExports ?? false,
    annotationsOnly: options.lookup === undefined,
  });
  return {
    output: result.output,
    changed: result.changed,
    converted: result.plan.converted.map((c) => ({
      symbol: c.name,
      object: c.object,
      position: c.position,
      klpSymbol: c.klpName,
      relocations: c.references.length,
    })),
    diagnostics: result.diagnostics,
    result,
  };
}
