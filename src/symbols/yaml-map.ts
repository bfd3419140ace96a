/**
 * Reader for our YAML symbol map, meant for small hand-written maps, test
 * fixtures and overrides:
 *
 *     klp-convert-symbol-map: 1
 *     objects:
 *       vmlinux:
 *         - saved_command_line                 # just a name
 *         - { name: has_steal_clock, position: 1, file: core.c, type: b }
 *         - { name: has_steal_clock, position: 2, file: kvm.c, type: b }
 *         - { name: _printk, exported: true, type: T }
 *
 * `position` is the 1-based kallsyms rank among same-named symbols of the
 * object; when one entry of a name gives it, all entries of that name must,
 * and together they must be 1..N. `type` is an nm letter.
 *
 * The yaml package must be loaded first (loadYamlLibrary), as loadSymbolIndex does.
 *
 * A YAML map is authoritative for every (object, name) it lists, even over a
 * full map given alongside it; see symbol-index.ts.
 */
import type { Node, Pair } from 'yaml';
import { type MapHit, type ScannedMap, internObject } from './map-scan.js';
import { kernelModuleName } from './module-name.js';
import type { NameMatcher } from './name-matcher.js';
import {
  type ParsedYaml,
  expectBoolean,
  expectInteger,
  expectString,
  keyString,
  parseYaml,
  yamlLibrary,
} from './yaml-support.js';

export const YAML_MAP_KEY = 'klp-convert-symbol-map';
export const YAML_MAP_VERSION = 1;
const ENTRY_KEYS = new Set(['name', 'position', 'file', 'type', 'exported']);

interface YamlEntry {
  object: string;
  name: string;
  line: number;
  position?: number;
  file?: string;
  kind?: string;
  exported: boolean;
  node: Node | Pair;
}

function readEntry(y: ParsedYaml, object: string, item: unknown): YamlEntry {
  const { isMap, isScalar } = yamlLibrary();
  const node = item as Node;
  if (isScalar(item)) {
    return { object, name: expectString(y, item, 'a symbol entry', node), line: y.lineOf(node), exported: false, node };
  }
  if (!isMap(item)) y.fail(node, "a symbol entry must be a name or a mapping with 'name'");
  const entry: Partial<YamlEntry> & { exported: boolean } = {
    object,
    exported: false,
    line: y.lineOf(item),
    node: item,
  };
  for (const pair of item.items) {
    const key = keyString(y, pair, 'a key');
    if (!ENTRY_KEYS.has(key)) y.fail(pair, `unknown key '${key}' (expected name, position, file, type, exported)`);
    switch (key) {
      case 'name':
        entry.name = expectString(y, pair.value, "'name'", pair);
        break;
      case 'position':
        entry.position = expectInteger(y, pair.value, "'position'", 1, pair);
        break;
      case 'file':
        entry.file = expectString(y, pair.value, "'file'", pair);
        break;
      case 'type': {
        const kind = expectString(y, pair.value, "'type'", pair);
        if (!/^[A-Za-z?]$/.test(kind)) {
          y.fail(pair, `'type' must be one nm letter (T, t, D, d, B, b, R, r, W, V, ...), not '${kind}'`);
        }
        entry.kind = kind;
        break;
      }
      case 'exported':
        entry.exported = expectBoolean(y, pair.value, "'exported'", pair);
        break;
    }
  }
  if (entry.name === undefined) y.fail(item, "symbol entry without 'name'");
  return entry as YamlEntry;
}

/** Parse a whole YAML map into entries, checking every rule. */
export function parseYamlMap(text: string, file: string): YamlEntry[] {
  const { isMap, isScalar, isSeq } = yamlLibrary();
  const y: ParsedYaml = parseYaml(text, file);
  const root = y.doc.contents;
  if (!isMap(root)) {
    y.fail(root, `a YAML symbol map must be a mapping starting with '${YAML_MAP_KEY}: ${YAML_MAP_VERSION}'`);
  }
  const version = root.items.find((p) => isScalar(p.key) && p.key.value === YAML_MAP_KEY);
  if (!version) y.fail(root, `missing '${YAML_MAP_KEY}: ${YAML_MAP_VERSION}'`);
  if (!isScalar(version.value) || version.value.value !== YAML_MAP_VERSION) {
    y.fail(version, `unsupported YAML symbol map version (this klp-convert reads ${YAML_MAP_VERSION})`);
  }
  const entries: YamlEntry[] = [];
  for (const pair of root.items) {
    const key = keyString(y, pair, 'a top-level key');
    if (key === YAML_MAP_KEY) continue;
    if (key !== 'objects') y.fail(pair, `unknown top-level key '${key}' (expected '${YAML_MAP_KEY}' and 'objects')`);
    if (pair.value === null || pair.value === undefined) continue;
    if (!isMap(pair.value)) y.fail(pair, "'objects' must map object names to lists of symbols");
    for (const objPair of pair.value.items) {
      const object = kernelModuleName(keyString(y, objPair, 'an object name'));
      if (objPair.value === null || objPair.value === undefined) continue;
      if (!isSeq(objPair.value)) y.fail(objPair, `object '${object}' must list its symbols`);
      for (const item of objPair.value.items) entries.push(readEntry(y, object, item));
    }
  }
  checkPositions(y, entries);
  return entries;
}

/** Within an object, positions of a name are all given or all absent, and then exactly 1..N. */
function checkPositions(y: ParsedYaml, entries: YamlEntry[]): void {
  const groups = new Map<string, YamlEntry[]>();
  for (const e of entries) {
    const key = `${e.object}\0${e.name}`;
    const g = groups.get(key);
    if (g) g.push(e);
    else groups.set(key, [e]);
  }
  for (const group of groups.values()) {
    const withPos = group.filter((e) => e.position !== undefined);
    if (withPos.length === 0) continue;
    const first = group[0]!;
    if (withPos.length !== group.length) {
      const missing = group.find((e) => e.position === undefined)!;
      y.fail(missing.node, `'${first.name}' in '${first.object}': either every entry gives 'position' or none does`);
    }
    const seen = new Set<number>();
    for (const e of group) {
      if (e.position! > group.length) {
        const only = `only ${group.length} entries of that name`;
        y.fail(e.node, `'${e.name}' in '${e.object}': position ${e.position} but ${only}`);
      }
      if (seen.has(e.position!)) y.fail(e.node, `'${e.name}' in '${e.object}': position ${e.position} given twice`);
      seen.add(e.position!);
    }
  }
}

export function scanYamlMap(bytes: Buffer, file: string, matcher: NameMatcher): ScannedMap {
  const entries = parseYamlMap(bytes.toString('utf8'), file);
  const map: ScannedMap = { file, format: 'yaml', objects: [], loadView: [], hits: [], exports: [], listed: new Set() };
  const objectIds = new Map<string, number>();
  const ids = new Map(matcher.names.map((n, i) => [n, i] as const));
  for (const e of entries) {
    const object = internObject(map, objectIds, e.object);
    const nameId = ids.get(e.name);
    if (nameId === undefined) continue;
    const hit: MapHit = { object, nameId, line: e.line };
    if (e.kind !== undefined) hit.kind = e.kind;
    if (e.file !== undefined) hit.file = e.file;
    if (e.position !== undefined) hit.rank = hit.position = e.position;
    map.hits.push(hit);
    map.listed!.add(`${object}:${nameId}`);
    if (e.exported) map.exports.push({ object, nameId, line: e.line });
  }
  // Definitions come out in kernel counting order where positions say it.
  map.hits.sort(
    (a, b) =>
      a.object - b.object || a.nameId - b.nameId || (a.position ?? 0) - (b.position ?? 0) || a.line - b.line,
  );
  return map;
}
