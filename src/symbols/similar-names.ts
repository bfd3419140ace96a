/**
 * Names in the maps that resemble a name no map has: the error path's
 * suggestions. Two kinds:
 *   - compiler clones: gcc and clang rename a function they specialised or
 *     split (`nr_free.isra.0`, `foo.constprop.3`, `bar.part.0`, `baz.cold`,
 *     `qux.llvm.123456`), the commonest trap of livepatch authors: the
 *     original name no longer exists in the kernel, and the clone may take
 *     different arguments;
 *   - close names: at most two edits away (typos).
 * The scan reuses the map scanners with a matcher that looks at every name
 * and matches none, so it costs one more pass over the maps, and only when a
 * run has already failed.
 */
import { NameMatcher } from './name-matcher.js';

/** Suffixes compilers append to a function's name when they clone it. */
const CLONE_SUFFIX = /^(\.(isra|constprop|part|lto_priv)\.\d+|\.cold(\.\d+)?|\.llvm\.\d+|\.localalias)+$/;

export type SimilarKind = 'clone' | 'close';

export interface SimilarName {
  name: string;
  kind: SimilarKind;
  /** Edit distance for close names; 0 for clones. */
  distance: number;
}

/** `candidate` is a compiler clone of `name` (name + clone suffixes). */
export function isCloneOf(candidate: string, name: string): boolean {
  return (
    candidate.length > name.length + 1 &&
    candidate.startsWith(name) &&
    candidate[name.length] === '.' &&
    CLONE_SUFFIX.test(candidate.slice(name.length))
  );
}

/** Levenshtein distance of a and b, or limit + 1 as soon as it must exceed limit. */
export function editDistance(a: Uint8Array, b: Uint8Array, bStart: number, bEnd: number, limit: number): number {
  const n = a.length;
  const m = bEnd - bStart;
  if (Math.abs(n - m) > limit) return limit + 1;
  let prev = new Int32Array(m + 1);
  let cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a[i - 1];
    for (let j = 1; j <= m; j++) {
      const cost = ai === b[bStart + j - 1] ? 0 : 1;
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[m]!;
}

/** The most edits a close name may be away: one for short names, two otherwise. */
export function closeLimit(name: string): number {
  return name.length < 6 ? 1 : 2;
}

/** One unknown name, and the similar names found for it so far. */
interface WantedName {
  name: string;
  bytes: Uint8Array;
  prefix: Uint8Array;
  limit: number;
  found: Map<string, SimilarName>;
}

/**
 * A matcher for the map scanners that matches nothing and records, for each
 * of `unknown`, the map names that are its clones or close to it.
 */
export class SimilarNameCollector extends NameMatcher {
  private readonly wanted: WantedName[];
  private readonly decoder = new TextDecoder();

  constructor(unknown: readonly string[]) {
    super([], false);
    // Every name must reach lookup(): the scanners' pre-filter lets all through.
    this.filter.fill(1);
    this.wanted = [...new Set(unknown)].map((name) => ({
      name,
      bytes: Buffer.from(name, 'utf8'),
      prefix: Buffer.from(`${name}.`, 'utf8'),
      limit: closeLimit(name),
      found: new Map(),
    }));
  }

  override match(bytes: Uint8Array, start: number, end: number): number {
    return this.lookup(bytes, start, end);
  }

  override lookup(bytes: Uint8Array, start: number, end: number): number {
    const len = end - start;
    for (const w of this.wanted) {
      if (len > w.prefix.length && startsWith(bytes, start, w.prefix)) {
        const name = this.decoder.decode(bytes.subarray(start, end));
        if (isCloneOf(name, w.name) && !w.found.has(name)) w.found.set(name, { name, kind: 'clone', distance: 0 });
        continue;
      }
      if (Math.abs(len - w.bytes.length) > w.limit) continue;
      const d = editDistance(w.bytes, bytes, start, end, w.limit);
      if (d === 0 || d > w.limit) continue;
      const name = this.decoder.decode(bytes.subarray(start, end));
      if (!w.found.has(name)) w.found.set(name, { name, kind: 'close', distance: d });
    }
    return -1;
  }

  /** What was found for each unknown name: clones first, then by distance and name. */
  results(): Map<string, SimilarName[]> {
    const out = new Map<string, SimilarName[]>();
    for (const w of this.wanted) {
      // Clones first, then the closest names, alphabetically among equals.
      const list = [...w.found.values()].sort((a, b) => {
        if (a.kind !== b.kind) return a.kind === 'clone' ? -1 : 1;
        return a.distance - b.distance || a.name.localeCompare(b.name);
      });
      out.set(w.name, list);
    }
    return out;
  }
}

function startsWith(bytes: Uint8Array, start: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[start + i] !== prefix[i]) return false;
  return true;
}
