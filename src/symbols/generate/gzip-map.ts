/**
 * A gzipped map whose compression overlaps the reading of modules.
 *
 * The output lists modules by name, and a module's name is, in every kernel
 * build, its file name with '-' and ',' turned to '_' (what `.modinfo` says).
 * So modules are read in the order of those predicted names: each block is
 * then the next one of the output and goes to a gzip stream on zlib's
 * threads at once. If any prediction fails, or anything goes wrong, the
 * result is thrown away and the map is made the plain way (modules in input
 * order, gzip at the end), which gives the bytes, warnings or error the user
 * would get anyway. Deflate's output does not depend on how its input is cut
 * into writes, so both ways give the same bytes as gzipSync of the whole map.
 */
import { promisify } from 'node:util';
import { createGzip, gzip } from 'node:zlib';
import {
  type GenerateInputs,
  collectObjects,
  duplicateWarning,
  exportsComment,
  modulesComment,
} from './build-map.js';
import { generateMapBytes, headerBytes, moduleBlockReader, newScratch, objectBlock } from './map-bytes.js';
import { compareObjectNames, markExports } from './model.js';
import type { ModuleBlock } from './module-block.js';
import { moduleNameFromPath } from '../module-name.js';
import type { OutputFormat } from './write-map.js';

export interface GzippedMap {
  data: Buffer;
  objects: number;
  symbols: number;
  warnings: string[];
}

export async function generateGzippedMap(
  inputs: GenerateInputs,
  format: OutputFormat,
  level: number,
): Promise<GzippedMap> {
  // A kallsyms dump has no module files; its objects are all known before anything is written.
  if (inputs.kallsyms === undefined && inputs.modules.length > 0) {
    const streamed = await streamInNameOrder(inputs, format, level).catch(() => null);
    if (streamed !== null) return streamed;
  }
  const map = await generateMapBytes(inputs, format);
  const data = await promisify(gzip)(Buffer.concat(map.chunks), { level });
  return { data, objects: map.objects, symbols: map.symbols, warnings: map.warnings };
}

/**
 * Blocks copied into writes of BATCH_BYTES: each write to a gzip stream is a
 * round trip to zlib's thread, and one per module cost the main thread more
 * than the module's own reading. The batch buffers are reused once zlib has
 * consumed them (first writes to fresh memory cost more than the copy). Deflate's
 * output does not depend on how its input is cut.
 */
const BATCH_BYTES = 256 << 10;

export class WriteBatch {
  private readonly free: Buffer[] = [];
  private buf: Buffer | undefined;
  private size = 0;

  constructor(private readonly sink: (bytes: Buffer, consumed: () => void) => void) {}

  /** `bytes` may be reused by the caller once this returns. */
  add(bytes: Buffer): void {
    if (this.size + bytes.length > BATCH_BYTES) this.flush();
    if (bytes.length > BATCH_BYTES) {
      this.sink(Buffer.from(bytes), () => undefined);
      return;
    }
    this.buf ??= this.free.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.size += bytes.copy(this.buf, this.size);
  }

  flush(): void {
    const { buf, size } = this;
    if (buf === undefined || size === 0) return;
    this.buf = undefined;
    this.size = 0;
    this.sink(buf.subarray(0, size), () => this.free.push(buf));
  }
}

/** The streamed way; null when a prediction failed (the caller then makes the map the plain way). */
export async function streamInNameOrder(
  inputs: GenerateInputs,
  format: OutputFormat,
  level: number,
): Promise<GzippedMap | null> {
  const files = inputs.modules;
  const predicted = files.map(moduleNameFromPath);
  const order = files.map((_, i) => i).sort((a, b) => compareObjectNames(predicted[a]!, predicted[b]!) || a - b);
  const names = new Set(predicted);

  const gz = createGzip({ level, chunkSize: 1 << 20 });
  const compressed: Buffer[] = [];
  gz.on('data', (chunk: Buffer) => compressed.push(chunk));
  const finished = new Promise<void>((resolveEnd, reject) => {
    gz.on('end', resolveEnd);
    gz.on('error', reject);
  });
  finished.catch(() => undefined);

  let ok = true;
  let next = 0;
  const written = new Set<string>();
  let symbols = 0;
  const batch = new WriteBatch((bytes, consumed) => gz.write(bytes, consumed));
  const write = (block: ModuleBlock) => {
    if (block.writeError) ok = false;
    if (!ok) return;
    batch.add(block.bytes);
    symbols += block.symbols;
  };
  // Lent bytes: each block is copied into the batch as soon as it is made.
  const readBlock = moduleBlockReader(format, inputs.kallsymsAll, true);
  try {
    const collected = await collectObjects(
      { ...inputs, modules: order.map((i) => files[i]!) },
      (file, bytes, exports, whole) => {
        const block = readBlock(file, bytes, exports, whole);
        if (block.name !== predicted[order[next++]!]) ok = false;
        // The first file of a name is the one kept (duplicates come in input order within a name).
        if (!written.has(block.name)) {
          written.add(block.name);
          write(block);
        }
        return block;
      },
      {
        scratch: newScratch(),
        beforeModules: (objects, comments, exports) => {
          const all = [...comments, modulesComment(names.size, inputs.kallsymsAll)];
          if (inputs.symvers.length > 0) all.push(exportsComment(inputs.symvers));
          batch.add(headerBytes(format, all));
          // Only vmlinux comes before the modules; it sorts first.
          if (objects.some((o) => o.name !== 'vmlinux')) ok = false;
          for (const o of objects) {
            markExports(o, exports.get(o.name));
            write(objectBlock(o, format));
          }
        },
      },
    );
    if (!ok || collected.modules.length !== names.size) return null;
    batch.flush();
    gz.end();
    await finished;
    const warnings: string[] = [];
    const first = new Map<string, string>();
    files.forEach((file, i) => {
      const used = first.get(predicted[i]!);
      if (used === undefined) first.set(predicted[i]!, file);
      else warnings.push(duplicateWarning(predicted[i]!, used, file));
    });
    const objects = collected.objects.length + collected.modules.length;
    return { data: Buffer.concat(compressed), objects, symbols, warnings };
  } finally {
    if (!gz.writableEnded) gz.destroy();
  }
}
