/**
 * Reader for `/proc/kallsyms` dumps and `System.map` files:
 *
 *     ffffffff81000000 T _stext
 *     ffffffffc0a1b010 t ext4_fill_super	[ext4]
 *
 * The bracket column names the module (none: vmlinux). File order is the
 * kernel's counting order: /proc/kallsyms prints vmlinux in kallsyms table
 * order and each module's symtab in order; a System.map is `nm -n` order,
 * which differs from the kallsyms table only among symbols sharing an
 * address, and such same-named symbols resolve to the same address anyway.
 * A System.map also lists what kallsyms leaves out (absolute symbols, the
 * kallsyms tables); those entries are dropped so counts match the kernel's.
 * `__ksymtab_<name>` entries mark <name> as exported by their object.
 */
import { SymbolMapError } from './errors.js';
import { SYSTEM_MAP_ONLY_NAMES, kallsymsDrops } from './kallsyms-rules.js';
import { type ScannedMap, internObject, rankHits, trimCR } from './map-scan.js';
import { kernelModuleName } from './module-name.js';
import type { NameMatcher } from './name-matcher.js';

const SPACE = 0x20;
const TAB = 0x09;
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Pseudo-objects /proc/kallsyms shows that no livepatch can target (BPF programs, ftrace/kprobe trampolines). */
function isPseudoObject(name: string): boolean {
  return name === 'bpf' || name.startsWith('__builtin__');
}

/** Whether the first line looks like `<hex> <letter> <name>`, for format detection. */
export function looksLikeKallsyms(firstLine: string): boolean {
  return /^[0-9a-fA-F]+ \S \S/.test(firstLine);
}

function isSystemMap(bytes: Buffer): boolean {
  return SYSTEM_MAP_ONLY_NAMES.some((n) => bytes.indexOf(` ${n}\n`) >= 0);
}

export function scanKallsymsMap(bytes: Buffer, file: string, matcher: NameMatcher): ScannedMap {
  const map: ScannedMap = { file, format: 'kallsyms', objects: [], loadView: [], hits: [], exports: [] };
  const objectIds = new Map<string, number>();
  const size = matcher.size;
  const total = bytes.length;
  let vmlinux = -1;
  let line = 0;
  let start = 0;
  while (start < total) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = total;
    line++;
    const stop = trimCR(bytes, start, end);
    if (stop > start) {
      let p = start;
      while (p < stop && isHexDigit(bytes[p]!)) p++;
      if (p === start || p + 3 >= stop || bytes[p] !== SPACE || bytes[p + 2] !== SPACE || bytes[p + 1] === SPACE) {
        throw new SymbolMapError(file, line, "expected '<hex address> <type letter> <name>' (a /proc/kallsyms or System.map line)");
      }
      const kindByte = bytes[p + 1]!;
      const nameStart = p + 3;
      let nameEnd = stop;
      let object: number;
      if (bytes[stop - 1] === CLOSE) {
        // `name\t[module]`; names themselves never end in ']'.
        let open = stop - 2;
        while (open > nameStart && bytes[open] !== OPEN) open--;
        if (bytes[open] !== OPEN || bytes[open - 1] !== TAB || open - 1 <= nameStart) {
          throw new SymbolMapError(file, line, "malformed module column: expected '<name>\\t[<module>]'");
        }
        nameEnd = open - 1;
        const module = bytes.toString('utf8', open + 1, stop - 1);
        if (module.length === 0) throw new SymbolMapError(file, line, "empty module name in '[]'");
        if (isPseudoObject(module)) {
          start = end + 1;
          continue;
        }
        object = internObject(map, objectIds, kernelModuleName(module));
      } else {
        if (vmlinux < 0) vmlinux = internObject(map, objectIds, 'vmlinux');
        object = vmlinux;
      }
      const id = matcher.match(bytes, nameStart, nameEnd);
      if (id >= 0) {
        const kind = String.fromCharCode(kindByte);
        if (id < size) map.hits.push({ object, nameId: id, line, kind });
        else map.exports.push({ object, nameId: id - size, line });
      }
    }
    start = end + 1;
  }
  if (vmlinux >= 0 && isSystemMap(bytes)) {
    map.hits = map.hits.filter((h) => !(h.object === vmlinux && kallsymsDrops(matcher.names[h.nameId]!, h.kind!)));
  }
  rankHits(map);
  return map;
}
