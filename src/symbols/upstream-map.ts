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
import { type MapLineReader, type ScannedMap, internObject } from './map-scan.js';
import { kernelModuleName } from './module-name.js';
import type { NameMatcher } from './name-matcher.js';

export const UPSTREAM_HEADER = 'klp-convert-symbol-data.0.1';
const STAR = 0x2a;

/** A reader for an upstream map whose first bytes are `head`. */
export function upstreamMapReader(head: Buffer, file: string, matcher: NameMatcher): MapLineReader {
  const map: ScannedMap = { file, format: 'upstream', objects: [], loadView: [], hits: [], exports: [] };
  const objectIds = new Map<string, number>();
  if (head.toString('latin1', 0, UPSTREAM_HEADER.length) !== UPSTREAM_HEADER) {
    throw new SymbolMapError(
      file,
      1,
      `not an upstream symbol map: the first line must start with '${UPSTREAM_HEADER}'`,
    );
  }
  const size = matcher.size;
  let object = -1;
  const visit = (bytes: Buffer, start: number, stop: number, line: number): void => {
    if (bytes[start] === STAR) {
      const name = bytes.toString('utf8', start + 1, stop);
      if (name.length === 0) throw new SymbolMapError(file, line, "empty object name after '*'");
      object = internObject(map, objectIds, kernelModuleName(name));
      return;
    }
    if (object < 0) throw new SymbolMapError(file, line, "symbol before any '*<object>' line");
    const id = matcher.match(bytes, start, stop);
    if (id < 0) return;
    if (id < size) map.hits.push({ object, nameId: id, line });
    else map.exports.push({ object, nameId: id - size, line });
  };
  return { skip: 1, visit, lines: { format: 'upstream', filter: matcher.filter }, finish: () => map };
}
