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
import { SYSTEM_MAP_ONLY_NAMES, isKallsymsPseudoObject, kallsymsDrops } from './kallsyms-rules.js';
import { type MapLineReader, type ScannedMap, internObject, rankHits } from './map-scan.js';
import { kernelModuleName } from './module-name.js';
import { NameMatcher } from './name-matcher.js';

const SPACE = 0x20;
const TAB = 0x09;
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]

/** 1 for the bytes of hexadecimal digits: a table, so the per-byte loop calls nothing. */
const HEX = new Uint8Array(256);
for (const c of Buffer.from('0123456789abcdefABCDEF', 'latin1')) HEX[c] = 1;

/** Whether the first line looks like `<hex> <letter> <name>`, for format detection. */
export function looksLikeKallsyms(firstLine: string): boolean {
  return /^[0-9a-fA-F]+ \S \S/.test(firstLine);
}

/** Names whose presence (as vmlinux symbols) makes the listing a System.map. */
const SYSTEM_MAP_MARKS = new NameMatcher(SYSTEM_MAP_ONLY_NAMES, false);
/** Their lengths, a cheap test before the matcher (one bit per length). */
const SYSTEM_MAP_MARK_LENGTHS = SYSTEM_MAP_ONLY_NAMES.reduce((bits, n) => bits | (1 << n.length), 0);
/** Their bytes, for the lines the wasm scan must report (line-filter.ts). */
const SYSTEM_MAP_MARK_BYTES = SYSTEM_MAP_ONLY_NAMES.map((n) => Buffer.from(n, 'latin1'));

/**
 * The object of the module column of consecutive lines: module symbols come
 * in runs, so the name is decoded once per run, not once per line.
 */
class ModuleColumn {
  private last = Buffer.alloc(64);
  private lastLength = -1;
  /** Object index of the last module, or -1 for a pseudo-object. */
  object = -1;

  /** Whether bytes[start, stop) names the same module as the previous call. */
  same(bytes: Buffer, start: number, stop: number): boolean {
    const n = stop - start;
    if (n !== this.lastLength) return false;
    for (let i = 0; i < n; i++) if (this.last[i] !== bytes[start + i]) return false;
    return true;
  }

  remember(bytes: Buffer, start: number, stop: number, object: number): void {
    if (stop - start > this.last.length) this.last = Buffer.alloc(2 * (stop - start));
    this.lastLength = bytes.copy(this.last, 0, start, stop);
    this.object = object;
  }
}

/** A reader for a /proc/kallsyms dump or System.map (no header). */
export function kallsymsMapReader(file: string, matcher: NameMatcher): MapLineReader {
  const map: ScannedMap = { file, format: 'kallsyms', objects: [], loadView: [], hits: [], exports: [] };
  const objectIds = new Map<string, number>();
  const size = matcher.size;
  const modules = new ModuleColumn();
  let vmlinux = -1;
  let systemMap = false;
  const visit = (bytes: Buffer, start: number, stop: number, line: number): void => {
    let p = start;
    while (p < stop && HEX[bytes[p]!] === 1) p++;
    if (p === start || p + 3 >= stop || bytes[p] !== SPACE || bytes[p + 2] !== SPACE || bytes[p + 1] === SPACE) {
      const expected = "'<hex address> <type letter> <name>' (a /proc/kallsyms or System.map line)";
      throw new SymbolMapError(file, line, `expected ${expected}`);
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
      if (!modules.same(bytes, open + 1, stop - 1)) {
        const module = bytes.toString('utf8', open + 1, stop - 1);
        if (module.length === 0) throw new SymbolMapError(file, line, "empty module name in '[]'");
        const id = isKallsymsPseudoObject(module) ? -1 : internObject(map, objectIds, kernelModuleName(module));
        modules.remember(bytes, open + 1, stop - 1, id);
      }
      if (modules.object < 0) return;
      object = modules.object;
    } else {
      if (vmlinux < 0) vmlinux = internObject(map, objectIds, 'vmlinux');
      object = vmlinux;
      const n = nameEnd - nameStart;
      const maybeMark = n < 31 && (SYSTEM_MAP_MARK_LENGTHS & (1 << n)) !== 0;
      if (maybeMark && SYSTEM_MAP_MARKS.match(bytes, nameStart, nameEnd) >= 0) systemMap = true;
    }
    const id = matcher.match(bytes, nameStart, nameEnd);
    if (id < 0) return;
    if (id < size) map.hits.push({ object, nameId: id, line, kind: String.fromCharCode(kindByte) });
    else map.exports.push({ object, nameId: id - size, line });
  };
  const finish = (): ScannedMap => {
    // A System.map lists what kallsyms leaves out (absolute symbols, its own tables): drop those.
    if (systemMap) {
      map.hits = map.hits.filter((h) => !(h.object === vmlinux && kallsymsDrops(matcher.names[h.nameId]!, h.kind!)));
    }
    rankHits(map);
    return map;
  };
  const lines = { format: 'kallsyms', filter: matcher.filter, alsoNames: SYSTEM_MAP_MARK_BYTES } as const;
  return { skip: 0, visit, lines, finish };
}
