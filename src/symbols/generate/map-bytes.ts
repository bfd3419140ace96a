/**
 * `klp-convert symbols` output without the in-memory model: each module is
 * read into one reused buffer and becomes its finished block of the map
 * right away (module-block.ts), so a whole distribution kernel costs about
 * the map's own size in memory. The bytes equal writeMap(generateSymbolMap())
 * for the same inputs; modules that the direct reader does not take go
 * through that model path, block by block.
 */
import { type GenerateInputs, type ModuleReader, collectObjects } from './build-map.js';
import { readElfSymbols } from './elf-symbols.js';
import { type MapObject, markExports, sortObjects } from './model.js';
import { type ModuleBlock, ModuleBlockWriter } from './module-block.js';
import { moduleObject } from './module-symbols.js';
import { readModuleTables } from './module-tables.js';
import {
  type OutputFormat,
  compactHeaderText,
  compactObjectText,
  upstreamHeaderText,
  upstreamObjectText,
} from './write-map.js';

export interface MapBytes {
  /** The map, in output order: header, then one block per object. */
  chunks: Buffer[];
  objects: number;
  symbols: number;
  warnings: string[];
}

export const newScratch = () => ({ buf: Buffer.allocUnsafe(1 << 22) });

export function headerBytes(format: OutputFormat, comments: readonly string[]): Buffer {
  return Buffer.from(format === 'compact' ? compactHeaderText(comments) : upstreamHeaderText());
}

/** A model object's block (vmlinux, kallsyms objects, modules the direct reader leaves). */
export function objectBlock(object: MapObject, format: OutputFormat): ModuleBlock {
  const text = format === 'compact' ? compactObjectText : upstreamObjectText;
  try {
    return { name: object.name, symbols: object.symbols.length, bytes: Buffer.from(text(object)) };
  } catch (err) {
    return { name: object.name, symbols: object.symbols.length, bytes: Buffer.alloc(0), writeError: err as Error };
  }
}

/**
 * Each module file to its block: directly from its bytes where module-tables.ts takes it, else through the model.
 * `lend`: a block's bytes are valid until the next module only (see ModuleBlockWriter).
 */
export function moduleBlockReader(format: OutputFormat, kallsymsAll: boolean, lend = false): ModuleReader<ModuleBlock> {
  const opts = { kallsymsAll, moduleUnload: true };
  const writer = new ModuleBlockWriter(format, opts, lend);
  return (file, bytes, exports, whole) => {
    const tables = readModuleTables(bytes);
    if (tables !== null) return writer.write(bytes, tables, file, exports);
    // Whatever the direct reader does not take: the model path reads it or names its problem.
    const object = moduleObject(readElfSymbols(whole?.() ?? bytes, file), file, opts);
    markExports(object, exports.get(object.name));
    return objectBlock(object, format);
  };
}

export async function generateMapBytes(inputs: GenerateInputs, format: OutputFormat): Promise<MapBytes> {
  const readModule = moduleBlockReader(format, inputs.kallsymsAll);
  const { objects, modules, comments, warnings } = await collectObjects(inputs, readModule, { scratch: newScratch() });
  const chunks: Buffer[] = [headerBytes(format, comments)];
  let symbols = 0;
  // The model path's order (vmlinux first, then by name); writeMap's first refusal wins.
  for (const block of sortObjects([...objects.map((o) => objectBlock(o, format)), ...modules])) {
    if (block.writeError) throw block.writeError;
    chunks.push(block.bytes);
    symbols += block.symbols;
  }
  return { chunks, objects: objects.length + modules.length, symbols, warnings };
}
