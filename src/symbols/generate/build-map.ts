/**
 * `klp-convert symbols` without the command line: collect objects from the
 * given sources into a SymbolMapModel.
 */
import { readRegularFile } from '../../util/read-file.js';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { SymbolMapError, SymbolSourceError } from '../errors.js';
import { maybeGunzip } from '../read-input.js';
import { readAllSymvers } from '../symvers.js';
import { readElfSymbols } from './elf-symbols.js';
import { objectsFromKallsyms } from './kallsyms-source.js';
import { type MapObject, type SymbolMapModel, markExports, sortObjects } from './model.js';
import { forEachModuleFile } from './module-files.js';
import { moduleObject } from './module-symbols.js';
import { vmlinuxFromElf, vmlinuxFromSystemMapBytes } from './vmlinux-symbols.js';

export interface GenerateInputs {
  /** A /proc/kallsyms dump: vmlinux and every loaded module, nothing else needed. */
  kallsyms?: string;
  /** vmlinux ELF with its symbol table. */
  vmlinux?: string;
  /** System.map, when no vmlinux ELF is at hand. */
  systemMap?: string;
  /** Module files (.ko, .ko.xz, .ko.zst, .ko.gz). */
  modules: string[];
  /** Module.symvers files, to mark exports. */
  symvers: string[];
  /** The target kernel has CONFIG_KALLSYMS_ALL (default in distributions). */
  kallsymsAll: boolean;
  /** Called after each module; for a progress line. */
  progress?: (done: number, total: number) => void;
}

export interface GenerateResult {
  model: SymbolMapModel;
  warnings: string[];
}

/**
 * A kallsyms dump or System.map larger than this is no such file (a whole
 * distribution kernel's are ~15 MB); refusing it names the file, where
 * decoding it would fail on V8's string length limit (~512 MiB).
 */
const MAX_TEXT_INPUT = 256 << 20;

/** A text input's bytes (gunzipped), refused when larger than any kallsyms dump or System.map. */
async function readTextBytes(file: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await readRegularFile(file);
  } catch (err) {
    throw new SymbolSourceError((err as Error).message, { cause: err });
  }
  const bytes = maybeGunzip(raw, file);
  if (bytes.length > MAX_TEXT_INPUT) {
    const mib = Math.round(bytes.length / (1 << 20));
    throw new SymbolSourceError(
      `${file}: ${mib} MiB is larger than any kallsyms dump or System.map (at most ${MAX_TEXT_INPUT >> 20} MiB)`,
    );
  }
  return bytes;
}

/** Module.symvers exports by object; a read error is kept, to be thrown where the inputs order puts it. */
async function readExports(files: string[]): Promise<{ exports: Map<string, Set<string>>; error?: unknown }> {
  const exports = new Map<string, Set<string>>();
  try {
    for (const file of files) {
      const bytes = maybeGunzip(
        await readRegularFile(file).catch((err: unknown) => {
          throw new SymbolSourceError((err as Error).message, { cause: err });
        }),
        file,
      );
      for (const [object, names] of readAllSymvers(bytes, file)) {
        const set = exports.get(object) ?? new Set<string>();
        for (const n of names) set.add(n);
        exports.set(object, set);
      }
    }
    return { exports };
  } catch (error) {
    return { exports, error };
  }
}

/**
 * How each module file becomes one object of the output: a model object, or its finished block.
 * `whole`, when given, reads every byte of the file: `bytes` then holds only the parts
 * module-tables.ts reads (see forEachModuleFile).
 */
export type ModuleReader<M> = (
  file: string,
  bytes: Buffer,
  exports: ReadonlyMap<string, Set<string>>,
  whole?: () => Buffer,
) => M;

export interface Collected<M> {
  /** Objects from a kallsyms dump, vmlinux or System.map, exports marked. */
  objects: MapObject[];
  /** One per module name, the first file in input order; exports marked. */
  modules: M[];
  comments: string[];
  warnings: string[];
}

export const duplicateWarning = (name: string, used: string, ignored: string): string =>
  `module '${name}' found twice: using ${used}, ignoring ${ignored}`;
export const modulesComment = (count: number, kallsymsAll: boolean): string =>
  `modules: ${count} (${kallsymsAll ? 'CONFIG_KALLSYMS_ALL' : 'without CONFIG_KALLSYMS_ALL'})`;
export const exportsComment = (symvers: string[]): string =>
  `exports from ${symvers.map((f) => basename(f)).join(', ')}`;

export interface CollectHooks {
  /** Read plain module files into this one buffer (the bytes handed on are valid during the call only). */
  scratch?: { buf: Buffer };
  /** After the kallsyms dump, vmlinux or System.map, before the first module. */
  beforeModules?: (
    objects: MapObject[],
    comments: readonly string[],
    exports: ReadonlyMap<string, Set<string>>,
  ) => void;
}

/**
 * Read every input in the order that decides which error is reported first
 * (kallsyms, vmlinux, modules, Module.symvers), each module through `readModule`.
 */
export async function collectObjects<M extends { name: string }>(
  inputs: GenerateInputs,
  readModule: ModuleReader<M>,
  hooks: CollectHooks = {},
): Promise<Collected<M>> {
  const warnings: string[] = [];
  const comments: string[] = ['generated by klp-convert symbols'];
  const objects: MapObject[] = [];
  // Exports are read first, so a module can be finished as it is read; an error
  // reading them still comes after those of the other inputs, as it always did.
  const symvers = await readExports(inputs.symvers);
  if (inputs.kallsyms !== undefined) {
    objects.push(...objectsFromKallsyms((await readTextBytes(inputs.kallsyms)).toString('utf8'), inputs.kallsyms));
    comments.push(`from kallsyms dump ${basename(inputs.kallsyms)}`);
  }
  if (inputs.vmlinux !== undefined) {
    let bytes: Buffer;
    try {
      bytes = maybeGunzip(await readRegularFile(inputs.vmlinux), inputs.vmlinux);
    } catch (err) {
      if (err instanceof SymbolMapError) throw err;
      throw new SymbolSourceError((err as Error).message, { cause: err });
    }
    objects.push(vmlinuxFromElf(readElfSymbols(bytes, inputs.vmlinux), inputs.vmlinux, inputs.kallsymsAll));
    comments.push(`vmlinux from ${basename(inputs.vmlinux)}`);
  } else if (inputs.systemMap !== undefined) {
    const bytes = await readTextBytes(inputs.systemMap);
    objects.push(vmlinuxFromSystemMapBytes(bytes, inputs.systemMap, inputs.kallsymsAll));
    comments.push(`vmlinux from ${basename(inputs.systemMap)}`);
  }
  hooks.beforeModules?.(objects, comments, symvers.exports);
  const modules: M[] = [];
  if (inputs.modules.length > 0) {
    const byName = new Map<string, string>();
    const ahead = Math.max(4, availableParallelism() * 2);
    await forEachModuleFile(
      inputs.modules,
      ahead,
      (file, bytes, i, whole) => {
        const object = readModule(file, bytes, symvers.exports, whole);
        const previous = byName.get(object.name);
        if (previous !== undefined) {
          warnings.push(duplicateWarning(object.name, previous, file));
        } else {
          byName.set(object.name, file);
          modules.push(object);
        }
        inputs.progress?.(i + 1, inputs.modules.length);
      },
      hooks.scratch,
    );
    comments.push(modulesComment(byName.size, inputs.kallsymsAll));
  }
  if (symvers.error !== undefined) throw symvers.error;
  if (inputs.symvers.length > 0) comments.push(exportsComment(inputs.symvers));
  const names = new Set<string>();
  for (const o of [...objects, ...modules]) {
    if (names.has(o.name)) {
      throw new SymbolSourceError(`object '${o.name}' comes from two inputs; give each object once`);
    }
    names.add(o.name);
  }
  for (const o of objects) markExports(o, symvers.exports.get(o.name));
  if (names.size === 0) {
    throw new SymbolSourceError('no inputs: give a kallsyms dump, a vmlinux or System.map, or modules');
  }
  return { objects, modules, comments, warnings };
}

export async function generateSymbolMap(inputs: GenerateInputs): Promise<GenerateResult> {
  const opts = { kallsymsAll: inputs.kallsymsAll, moduleUnload: true };
  const { objects, modules, comments, warnings } = await collectObjects(inputs, (file, bytes, exports, whole) => {
    const object = moduleObject(readElfSymbols(whole?.() ?? bytes, file), file, opts);
    markExports(object, exports.get(object.name));
    return object;
  });
  return { model: { objects: sortObjects([...objects, ...modules]), comments }, warnings };
}
