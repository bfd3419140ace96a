/**
 * One conversion from files to a file: read the module, find the kernel's
 * maps when none are given, look its symbols up, convert, verify, and write
 * the result atomically. The CLI and the package's API both call this; the
 * CLI only parses arguments and prints.
 */
import { type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ElfFile, parseElf } from '../elf/index.js';
import { loadPositions, loadSymbolIndex } from '../symbols/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { KlpError, describeError } from '../util/errors.js';
import { EXIT } from '../util/exit-codes.js';
import { InputFileError, readRegularFileSync } from '../util/read-file.js';
import { type ConversionResult, convertElf, scanCandidates, symbolsToLookUp } from './convert.js';
import { autoInputs, fromKdir, type KernelInputs, moduleRelease } from './kernel-inputs.js';
import { EMPTY_LOOKUP, type PositionHintInput, type SymbolLookup } from './symbol-source.js';

export interface ConvertFileOptions {
  input: string;
  output: string;
  /** Symbol maps (any format loadSymbolIndex reads). */
  symbols?: readonly string[];
  /** Module.symvers files. */
  symvers?: readonly string[];
  /** A kernel build or headers directory: its Module.symvers, symbols.klp and System.map. */
  kdir?: string;
  /** A positions file. */
  positions?: string;
  keepModuleExports?: boolean;
  /** Convert and verify, write nothing. */
  dryRun?: boolean;
  /** With no map and no Module.symvers given, look where kbuild and distributions keep them (the module's kernel). */
  auto?: boolean;
  /** Told, as it happens, what the run looked for on its own (one line, no `klp-convert:` prefix). */
  onNote?: (text: string) => void;
}

export interface ConvertFileResult extends ConversionResult {
  /** The module's e_machine, to name relocation types. */
  machine: number;
  /** Whether `output` was written (false on a dry run). */
  written: boolean;
}

/** The converted module could not be written; nothing is left behind (the write is atomic). */
export class OutputWriteError extends KlpError {
  override readonly name = 'OutputWriteError';
  readonly exitCode = EXIT.BAD_INPUT;

  constructor(
    path: string,
    cause: unknown,
    /** The conversion that was not written (its warnings are still worth saying). */
    readonly result: ConvertFileResult,
  ) {
    super(`cannot write ${path}: ${describeError(cause)}`, { file: path }, { cause });
  }
}

/**
 * Convert `input` into `output`. Throws a KlpError that carries its exit
 * status: ConversionFailed (every diagnostic, with its location) when the
 * module cannot be converted as it is, UsageProblem for options that cannot
 * work, ElfFormatError, SymbolMapError or InputFileError for inputs that
 * cannot be read, OutputWriteError when the result cannot be written.
 */
export async function convertFile(o: ConvertFileOptions): Promise<ConvertFileResult> {
  const symbols = [...(o.symbols ?? [])];
  const symvers = [...(o.symvers ?? [])];
  // A bad output path or --kdir is found out before the module is read.
  if (!o.dryRun) await assertWritablePath(o.output, 'the output');
  if (o.kdir) {
    const found = await fromKdir(o.kdir);
    symbols.push(...found.symbols);
    symvers.push(...found.symvers);
  }

  // Synchronous file calls here and in writeFileAtomic: each promise-based call is a round trip
  // through libuv's thread pool, and a conversion is a few of them in a row with nothing to overlap.
  const input = readRegularFileSync(o.input);
  const elf = parseElf(input, o.input);
  if (symbols.length === 0 && symvers.length === 0 && o.auto) {
    const found = await findKernelInputs(elf, o.input, o.onNote ?? (() => {}));
    symbols.push(...found.symbols);
    symvers.push(...found.symvers);
  }
  // Nothing anywhere: only annotations can say what to convert.
  const annotationsOnly = symbols.length === 0 && symvers.length === 0;
  // The relocations are gone through once, for the look-up and the plan.
  const scan = scanCandidates(elf);
  const wanted = symbolsToLookUp(elf, scan);
  const hints: PositionHintInput[] = o.positions ? await loadPositions(o.positions) : [];
  for (const h of hints) wanted.add(h.name);
  const lookup: SymbolLookup = annotationsOnly
    ? EMPTY_LOOKUP
    : await loadSymbolIndex({ maps: symbols, symvers }, wanted);
  const machine = elf.machine;
  const keepModuleExports = o.keepModuleExports ?? false;
  const result = convertElf(elf, input, lookup, hints, { keepModuleExports, annotationsOnly }, scan);

  if (o.dryRun) return { ...result, machine, written: false };
  try {
    const inputStat = statSync(o.input);
    // In place (in == out), the old bytes are the only copy of the module: flushed before the rename.
    const outputStat = statOrUndefined(o.output);
    const inPlace = outputStat?.ino === inputStat.ino && outputStat.dev === inputStat.dev;
    await writeFileAtomic(o.output, result.output, inputStat.mode & 0o777, { durable: inPlace });
  } catch (e) {
    throw new OutputWriteError(o.output, e, { ...result, machine, written: false });
  }
  return { ...result, machine, written: true };
}

/** The no-option case: the inputs kbuild and distributions keep for the module's kernel, said in one line. */
async function findKernelInputs(elf: ElfFile, file: string, note: (text: string) => void): Promise<KernelInputs> {
  const release = moduleRelease(elf);
  if (!release) {
    note(`${file}: no vermagic in .modinfo, so no kernel to look for maps of; pass --symbols/--symvers or --kdir`);
    return { symbols: [], symvers: [] };
  }
  const found = await autoInputs(release);
  const used = [...found.symvers, ...found.symbols];
  note(
    used.length > 0
      ? `${file} is for kernel ${release}: using ${used.join(', ')} (--no-auto: use only what is given)`
      : `${file} is for kernel ${release}: found no Module.symvers or symbol map ` +
          `(looked in ${found.searched.join(', ')})`,
  );
  return found;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The directory of `path` exists and `path` is not a directory: a write there can succeed. */
export async function assertWritablePath(path: string, what: string): Promise<void> {
  const dir = dirname(resolve(path));
  const d = statOrUndefined(dir);
  if (!d?.isDirectory()) {
    const why = d ? `${dir} is not a directory` : `no directory ${dir}`;
    throw new InputFileError(path, `cannot write ${what} there: ${why}`);
  }
  const f = statOrUndefined(path);
  if (f?.isDirectory()) throw new InputFileError(path, `cannot write ${what} there: it is a directory`);
  // The atomic write renames over the target: never over a device, a FIFO or a socket.
  if (f && !f.isFile()) throw new InputFileError(path, `cannot write ${what} there: it is not a regular file`);
}
