/**
 * What a map reader reports after one pass over a map: the objects it
 * describes and, for the wanted names only, every occurrence in file order.
 * Ranks are derived afterwards (see `rankHits`), so a reader can drop entries
 * at the end (System.map's absolute symbols) without recounting.
 */
import type { LineSelection } from './line-filter.js';
import type { LineVisitor } from './line-scan.js';

export type MapFormat = 'upstream' | 'kallsyms' | 'compact' | 'yaml';

export interface MapHit {
  /** Index into ScannedMap.objects. */
  object: number;
  /** Index into the matcher's names. */
  nameId: number;
  line: number;
  kind?: string;
  file?: string;
  /** Position given explicitly by the map (YAML maps); otherwise derived from file order. */
  position?: number;
  /** Only visible while the module loads (compact maps: init sections, or non-kallsyms sections). */
  loadOnly?: boolean;
  /** Set by rankHits when the map knows kernel counting order. */
  rank?: number;
  loadRank?: number;
}

export interface ExportMark {
  nameId: number;
  object: number;
  line: number;
}

export interface ScannedMap {
  file: string;
  format: MapFormat;
  /** Object names in order of first appearance (kernel spelling). */
  objects: string[];
  /** Per object: whether the map also lists load-time-only symbols (compact `*obj load`). */
  loadView: boolean[];
  hits: MapHit[];
  exports: ExportMark[];
  /**
   * YAML maps describe names, not whole objects, when other maps cover the
   * object too: the (object, nameId) keys they list, as `${object}:${nameId}`.
   */
  listed?: Set<string>;
}

/** Index of `name` in `objects`, appending it (and its load-view flag) when new. */
export function internObject(map: ScannedMap, index: Map<string, number>, name: string, loadView = false): number {
  let id = index.get(name);
  if (id === undefined) {
    id = map.objects.length;
    map.objects.push(name);
    map.loadView.push(loadView);
    index.set(name, id);
  } else if (loadView) {
    map.loadView[id] = true;
  }
  return id;
}

/**
 * Give each hit its 1-based rank among same-named hits of its object, in file
 * order: `rank` counts what the kernel keeps after a module's init (loadOnly
 * hits get none), `loadRank` counts everything (only for load-view objects).
 */
export function rankHits(map: ScannedMap): void {
  const core = new Map<number, number>();
  const all = new Map<number, number>();
  const stride = 1 << 20;
  for (const hit of map.hits) {
    const key = hit.object * stride + hit.nameId;
    if (map.loadView[hit.object]) {
      const n = (all.get(key) ?? 0) + 1;
      all.set(key, n);
      hit.loadRank = n;
    }
    if (!hit.loadOnly) {
      const n = (core.get(key) ?? 0) + 1;
      core.set(key, n);
      hit.rank = n;
    }
  }
}

/**
 * A line-oriented map reader: `skip` header lines (checked on the input's
 * head when the reader was made), then `visit` for every other line (see
 * line-scan.ts), then `finish` for the result. `lines` says which lines
 * `visit` needs (line-filter.ts): the others it would visit for nothing.
 */
export interface MapLineReader {
  skip: number;
  visit: LineVisitor;
  lines: LineSelection;
  finish(): ScannedMap;
}

/** The first line of `head` (without '\r'), for header checks. */
export function firstLine(head: Buffer): string {
  let end = head.indexOf(10);
  if (end < 0) end = head.length;
  if (end > 0 && head[end - 1] === 13) end--;
  return head.toString('utf8', 0, end);
}
