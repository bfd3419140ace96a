/**
 * Reader for the kernel's `Module.symvers` (written by modpost):
 *
 *     0x92997ed8<TAB>_printk<TAB>vmlinux<TAB>EXPORT_SYMBOL<TAB>
 *     0x0b1beb31<TAB>drm_dev_put<TAB>drivers/gpu/drm/drm<TAB>EXPORT_SYMBOL<TAB>
 *
 * Columns: CRC, symbol, module path without `.ko` (or `vmlinux`), export
 * type, namespace (may be empty). The module path becomes the kernel module
 * name: basename with '-' and ',' turned into '_'.
 */
import { SymbolMapError } from './errors.js';
import type { LineSelection } from './line-filter.js';
import { type LineVisitor, scanAllLines } from './line-scan.js';
import { moduleNameFromPath } from './module-name.js';
import type { NameMatcher } from './name-matcher.js';
import type { ExportEntry } from './types.js';

const TAB = 0x09;

type SymversVisitor = (
  bytes: Buffer,
  nameStart: number,
  nameEnd: number,
  moduleStart: number,
  moduleEnd: number,
  line: number,
) => void;

/**
 * A line visitor that validates a Module.symvers line and hands `visit` the
 * byte ranges of its symbol and module columns.
 */
function symversLines(
  file: string,
  visit: SymversVisitor,
): LineVisitor {
  return (bytes, start, stop, line) => {
    const t1 = bytes.indexOf(TAB, start);
    const t2 = t1 >= 0 && t1 < stop ? bytes.indexOf(TAB, t1 + 1) : -1;
    const t3 = t2 >= 0 && t2 < stop ? bytes.indexOf(TAB, t2 + 1) : -1;
    if (t3 < 0 || t3 >= stop) {
      const expected = "'<crc>\\t<symbol>\\t<module>\\t<export type>[\\t<namespace>]' (a Module.symvers line)";
      throw new SymbolMapError(file, line, `expected ${expected}`);
    }
    if (t1 === start || t2 === t1 + 1 || t3 === t2 + 1) {
      throw new SymbolMapError(file, line, 'empty CRC, symbol or module column');
    }
    if (bytes[start] !== 0x30 || (bytes[start + 1] !== 0x78 && bytes[start + 1] !== 0x58)) {
      const crc = bytes.toString('utf8', start, t1);
      throw new SymbolMapError(file, line, `CRC column must be hexadecimal '0x...', found '${crc}'`);
    }
    visit(bytes, t1 + 1, t2, t2 + 1, t3, line);
  };
}

/** Collects the first export of each wanted name, keyed by name; every line is validated. */
export class SymversScan {
  readonly found = new Map<string, ExportEntry>();
  readonly visit: LineVisitor;
  /** The lines `visit` needs (line-filter.ts). */
  readonly lines: LineSelection;

  constructor(file: string, matcher: NameMatcher) {
    const found = this.found;
    this.lines = { format: 'symvers', filter: matcher.filter };
    this.visit = symversLines(file, (bytes, nameStart, nameEnd, moduleStart, moduleEnd, line) => {
      const id = matcher.match(bytes, nameStart, nameEnd);
      if (id < 0 || id >= matcher.size) return;
      const name = matcher.names[id]!;
      if (found.has(name)) return;
      const object = moduleNameFromPath(bytes.toString('utf8', moduleStart, moduleEnd));
      found.set(name, { name, object, origin: { file, line } });
    });
  }
}

/** First export of each wanted name, keyed by name, from a whole Module.symvers in memory. */
export function scanSymvers(bytes: Buffer, file: string, matcher: NameMatcher): Map<string, ExportEntry> {
  const scan = new SymversScan(file, matcher);
  scanAllLines(bytes, scan.visit);
  return scan.found;
}

/** Every export, grouped by exporting object (for the map generator). */
export function readAllSymvers(bytes: Buffer, file: string): Map<string, Set<string>> {
  const byObject = new Map<string, Set<string>>();
  const visit = symversLines(file, (b, nameStart, nameEnd, moduleStart, moduleEnd) => {
    const object = moduleNameFromPath(b.toString('utf8', moduleStart, moduleEnd));
    let names = byObject.get(object);
    if (!names) byObject.set(object, (names = new Set()));
    names.add(b.toString('utf8', nameStart, nameEnd));
  });
  scanAllLines(bytes, visit);
  return byObject;
}
