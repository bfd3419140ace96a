/**
 * The line loop in WebAssembly: a window of input bytes in wasm memory, and
 * a scan (wasm/line-filter.wat) that finds its lines sixteen bytes at a time
 * and hands JavaScript only the lines a reader must see. On the 20 MB
 * distribution map and the benchmark's 200 names that is ~5,000 of 920,000
 * lines (the 4,024 object lines and the hits), so neither the visitor nor the
 * matcher runs often enough for V8 to spend time optimising them.
 *
 * The readers stay the judges: a selected line is visited exactly as the
 * JavaScript loop (line-scan.ts) would visit it, with its number, so hits,
 * objects and errors are the same. The scan reports:
 *   - lines whose name passes both tables of the reader's NameMatcher.filter
 *     (filterKey, then nameHashKey), so a matcher must never match a name
 *     whose entries are zero (NameMatcher.match does not);
 *   - lines that change the reader's state: upstream and compact `*object`
 *     lines, compact `@<id>` lines, the first line of each kallsyms module run,
 *     the first vmlinux line, and lines naming `alsoNames`;
 *   - lines whose shape is wrong for the format, so the reader throws its error.
 *
 * Where WebAssembly is missing (`node --jitless`) InputReader keeps its
 * window in ordinary memory and uses line-scan.ts.
 */
import type { LineCursor, LineVisitor } from './line-scan.js';
import { FILTER_ENTRIES, filterKey, nameHashKey } from './name-matcher.js';
import { LINE_FILTER_WASM } from './wasm/line-filter.wasm.js';

/** The line-oriented formats the wasm scan knows. */
export type FilteredFormat = 'upstream' | 'compact' | 'kallsyms' | 'symvers';

/** What a reader needs to see of its input. */
export interface LineSelection {
  format: FilteredFormat;
  /** The reader's NameMatcher.filter: two tables of FILTER_ENTRIES, zero where a name is certainly not wanted. */
  filter: Uint8Array;
  /** Further names whose lines the reader must see (a System.map's marks). */
  alsoNames?: readonly Uint8Array[];
}

const FORMAT_CODE: Readonly<Record<FilteredFormat, number>> = { upstream: 1, compact: 2, kallsyms: 3, symvers: 4 };

// Memory layout, as in line-filter.wat: the filter tables at 0.
const RECORDS_AT = 132096;
const RECORD_CAPACITY = 4096;
const WINDOW_AT = 196608;
/** A sixteen-byte block load may start up to fifteen bytes before the window's end. */
const SLACK = 16;
const PAGE = 65536;

/** The little of the WebAssembly API used here (TypeScript's declarations of it come with the DOM library). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

interface LineFilterExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  line: { value: number };
  resume: { value: number };
  begin(format: number, line: number): void;
  scan(from: number, end: number, last: number): number;
}

/** Undefined under `node --jitless`. */
const webAssembly = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
let compiled: object | null | undefined;

/** The compiled scan, or null where this Node has no WebAssembly (`node --jitless`). */
function lineFilterModule(): object | null {
  if (compiled === undefined) {
    compiled = webAssembly ? new webAssembly.Module(Buffer.from(LINE_FILTER_WASM, 'base64')) : null;
  }
  return compiled;
}

/** Whether the wasm line filter can run here. */
export function wasmLineFilterAvailable(): boolean {
  return lineFilterModule() !== null;
}

/** An input window in wasm memory, and the scan that selects its lines. */
export class WasmLineWindow {
  /** The window: bytes the input reader fills, at WINDOW_AT in wasm memory. */
  window!: Buffer;
  /** All of wasm memory, the bytes visitors get (offsets are addresses). */
  private memory!: Buffer;
  private records!: Int32Array;

  private constructor(
    private readonly wasm: LineFilterExports,
    size: number,
  ) {
    this.grow(size);
  }

  /** A window of `size` bytes, or undefined where there is no WebAssembly. */
  static create(size: number): WasmLineWindow | undefined {
    const module = lineFilterModule();
    if (!module) return undefined;
    const instance = new webAssembly!.Instance(module);
    return new WasmLineWindow(instance.exports as unknown as LineFilterExports, size);
  }

  /** Make the window `size` bytes long (not shorter), keeping what it holds. */
  grow(size: number): void {
    const memory = this.wasm.memory;
    const need = Math.ceil((WINDOW_AT + size + SLACK) / PAGE) - memory.buffer.byteLength / PAGE;
    // Growing detaches the old views.
    if (need > 0) memory.grow(need);
    this.memory = Buffer.from(memory.buffer);
    this.records = new Int32Array(memory.buffer, RECORDS_AT, RECORD_CAPACITY * 3);
    this.window = this.memory.subarray(WINDOW_AT, WINDOW_AT + size);
  }

  /** Start scanning an input of this format; `line` is the number of lines before the first scanned. */
  begin(selection: LineSelection, line: number): void {
    this.memory.set(selection.filter.subarray(0, 2 * FILTER_ENTRIES), 0);
    for (const name of selection.alsoNames ?? []) {
      if (name.length === 0) continue;
      this.memory[filterKey(name, 0, name.length)] = 1;
      this.memory[FILTER_ENTRIES + nameHashKey(name, 0, name.length)] = 1;
    }
    this.wasm.begin(FORMAT_CODE[selection.format], line);
  }

  /**
   * scanLines (line-scan.ts) over window[from, end), visiting only the
   * selected lines; the visitor gets wasm memory and addresses in it.
   * Returns the window offset where the unfinished rest starts.
   */
  scanLines(from: number, end: number, last: boolean, cursor: LineCursor, visit: LineVisitor): number {
    const wasm = this.wasm;
    wasm.line.value = cursor.line;
    // Visitors see no bytes past `end`, as with scanLines.
    const bytes = this.memory.subarray(0, WINDOW_AT + end);
    const records = this.records;
    let at = WINDOW_AT + from;
    for (;;) {
      const count = wasm.scan(at, WINDOW_AT + end, last ? 1 : 0);
      for (let i = 0; i < 3 * count; i += 3) visit(bytes, records[i]!, records[i + 1]!, records[i + 2]!);
      at = wasm.resume.value;
      if (count < RECORD_CAPACITY) break;
    }
    cursor.line = wasm.line.value;
    return at - WINDOW_AT;
  }
}
