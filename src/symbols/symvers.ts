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
import { trimCR } from './map-scan.js';
import { moduleNameFromPath } from './module-name.js';
import type { NameMatcher } from './name-matcher.js';
import type { ExportEntry } from './types.js';

const TAB = 0x09;

/**
 * Validate every line and call `visit` with the byte ranges of the symbol
 * and module columns.
 */
function forEachSymversLine(
  bytes: Buffer,
  file: string,
  visit: (nameStart: number, nameEnd: number, moduleStart: number, moduleEnd: number, line: number) => void,
): void {
  const total = bytes.length;
  let start = 0;
  let line = 0;
  while (start < total) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = total;
    line++;
    const stop = trimCR(bytes, start, end);
    if (stop > start) {
      const t1 = bytes.indexOf(TAB, start);
      const t2 = t1 >= 0 && t1 < stop ? bytes.indexOf(TAB, t1 + 1) : -1;
      const t3 = t2 >= 0 && t2 < stop ? bytes.indexOf(TAB, t2 + 1) : -1;
      if (t3 < 0 || t3 >= stop) {
        throw new SymbolMapError(file, line, "expected '<crc>\\t<symbol>\\t<module>\\t<export type>[\\t<namespace>]' (a Module.symvers line)");
      }
      if (t1 === start || t2 === t1 + 1 || t3 === t2 + 1) {
        throw new SymbolMapError(file, line, 'empty CRC, symbol or module column');
      }
      if (bytes[start] !== 0x30 || (bytes[start + 1] !== 0x78 && bytes[start + 1] !== 0x58)) {
        throw new SymbolMapError(file, line, `CRC column must be hexadecimal '0x...', found '${bytes.toString('utf8', start, t1)}'`);
      }
      visit(t1 + 1, t2, t2 + 1, t3, line);
    }
    start = end + 1;
  }
}

/** First export of each wanted name, keyed by name. Every line is validated. */
export function scanSymvers(bytes: Buffer, file: string, matcher: NameMatcher): Map<string, ExportEntry> {
  const found = new Map<string, ExportEntry>();
  forEachSymversLine(bytes, file, (nameStart, nameEnd, moduleStart, moduleEnd, line) => {
    const id = matcher.match(bytes, nameStart, nameEnd);
    // (match() applies the cheap pre-filter first, so most lines stop there.)
    if (id < 0 || id >= matcher.size) return;
    const name = matcher.names[id]!;
    if (!found.has(name)) found.set(name, { name, object: moduleNameFromPath(bytes.toString('utf8', moduleStart, moduleEnd)), origin: { file, line } });
  });
  return found;
}

/** Every export, grouped by exporting object (for the map generator). */
export function readAllSymvers(bytes: Buffer, file: string): Map<string, Set<string>> {
  const byObject = new Map<string, Set<string>>();
  forEachSymversLine(bytes, file, (nameStart, nameEnd, moduleStart, moduleEnd) => {
    const object = moduleNameFromPath(bytes.toString('utf8', moduleStart, moduleEnd));
    let names = byObject.get(object);
    if (!names) byObject.set(object, (names = new Set()));
    names.add(bytes.toString('utf8', nameStart, nameEnd));
  });
  return byObject;
}
