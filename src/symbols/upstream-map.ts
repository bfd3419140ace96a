/**
 * Reader for the upstream klp-convert map, `klp-convert-symbol-data.0.1`:
 *
 *     klp-convert-symbol-data.0.1
 *     *vmlinux
 *     saved_command_line
 *     __ksymtab_printk
 *     *test_mod
 *     ...
 *
 * Each object's names come from `nm -f posix`, i.e. sorted by name, so the
 * kernel's counting order is unknown (no ranks) but counts are known. Those
 * counts are best effort: upstream lists module names from `nm` without
 * `--defined-only`, so a module's undefined (U) references count as extra
 * homonyms. `__ksymtab_<name>` marks <name> as exported by that object.
 */
import { SymbolMapError } from './errors.js';
import { type ScannedMap, internObject } from './map-scan.js';
import { kernelModuleName } from './module-name.js';
import type { NameMatcher } from './name-matcher.js';

export const UPSTREAM_HEADER = 'klp-convert-symbol-data.0.1';
const STAR = 0x2a;

export function scanUpstreamMap(bytes: Buffer, file: string, matcher: NameMatcher): ScannedMap {
  const map: ScannedMap = { file, format: 'upstream', objects: [], loadView: [], hits: [], exports: [] };
  const objectIds = new Map<string, number>();
  const header = bytes.toString('latin1', 0, UPSTREAM_HEADER.length);
  if (header !== UPSTREAM_HEADER) {
    throw new SymbolMapError(file, 1, `not an upstream symbol map: the first line must start with '${UPSTREAM_HEADER}'`);
  }
  const size = matcher.size;
  const total = bytes.length;
  const filter = matcher.filter;
  let start = bytes.indexOf(10);
  let line = 1;
  let object = -1;
  if (start < 0) return map;
  start++;
  while (start < total) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = total;
    line++;
    const stop = end > start && bytes[end - 1] === 13 ? end - 1 : end;
    const len = stop - start;
    if (len > 0) {
      const first = bytes[start]!;
      if (first === STAR) {
        const name = bytes.toString('utf8', start + 1, stop);
        if (name.length === 0) throw new SymbolMapError(file, line, "empty object name after '*'");
        object = internObject(map, objectIds, kernelModuleName(name));
      } else {
        if (object < 0) throw new SymbolMapError(file, line, "symbol before any '*<object>' line");
        // Inline filterKey(): see name-matcher.ts.
        if (filter[((len << 8) ^ (first << 4) ^ (first << 11) ^ bytes[stop - 1]!) & 0xffff] !== 0) {
          const id = matcher.lookup(bytes, start, stop);
          if (id >= 0) {
            if (id < size) map.hits.push({ object, nameId: id, line });
            else map.exports.push({ object, nameId: id - size, line });
          }
        }
      }
    }
    start = end + 1;
  }
  return map;
}
