/**
 * `klp-convert symbols` output without the in-memory model: each module is
 * read into one reused buffer and becomes its finished block of the map
 * right away (module-block.ts), so a whole distribution kernel costs about
 * the map's own size in memory. The bytes equal writeMap(generateSymbolMap())
 * for the same inputs; modules that the direct reader does not take go
 * through that model path, block by block.
 */
import { type GenerateInputs, collectObjects } from './build-map.js';
import { readElfSymbols } from './elf-symbols.js';
import { markExports, sortObjects } from './model.js';
import { type ModuleBlock, ModuleBlockWriter } from './module-block.js';
import { moduleObject } from './module-symbols.js';
import { readModuleTables } from './module-tables.js';
import { type OutputFormat, compactHeaderText, compactObjectText, upstreamHeaderText, upstreamObjectText } from './write-map.js';

export interface MapBytes {
  /** The map, in output order: header, then one block per object. */
  chunks: Buffer[];
  objects: number;
  symbols: number;
  warnings: string[];
}

export async function generateMapBytes(inputs: GenerateInputs, format: OutputFormat): Promise<MapBytes> {
  const opts = { kallsymsAll: inputs.kallsymsAll, moduleUnload: true };
  const objectText = format === 'compact' ? compactObjectText : upstreamObjectText;
  const writer = new ModuleBlockWriter(format, opts);
  const readModule = (file: string, bytes: Buffer, exports: ReadonlyMap<string, Set<string>>): ModuleBlock => {
    const tables = readModuleTables(bytes);
    if (tables !== null) return writer.write(bytes, tables, file, exports);
    // Whatever the direct reader does not take: the model path reads it or names its problem.
    const object = moduleObject(readElfSymbols(bytes, file), file, opts);
    markExports(object, exports.get(object.name));
    return { name: object.name, symbols: object.symbols.length, ...textBlock(() => objectText(object)) };
  };
  const { objects, modules, comments, warnings } = await collectObjects(inputs, readModule, { buf: Buffer.allocUnsafe(1 << 22) });
  const vmlinuxEtc = objects.map((o): ModuleBlock => ({ name: o.name, symbols: o.symbols.length, ...textBlock(() => objectText(o)) }));
  const chunks: Buffer[] = [Buffer.from(format === 'compact' ? compactHeaderText(comments) : upstreamHeaderText())];
  let symbols = 0;
  // The model path's order (vmlinux first, then by name); writeMap's first refusal wins.
  for (const block of sortObjects([...vmlinuxEtc, ...modules])) {
    if (block.writeError) throw block.writeError;
    chunks.push(block.bytes);
    symbols += block.symbols;
  }
  return { chunks, objects: objects.length + modules.length, symbols, warnings };
}

function textBlock(text: () => string): { bytes: Buffer; writeError?: Error } {
  try {
    return { bytes: Buffer.from(text()) };
  } catch (err) {
    return { bytes: Buffer.alloc(0), writeError: err as Error };
  }
}
