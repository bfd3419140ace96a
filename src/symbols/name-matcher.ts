/**
 * Finding a few wanted names among a million map lines without decoding them.
 *
 * A converter run needs maybe 200 names out of 500,000+ in a distribution
 * map. Building a Map of every name costs ~0.6 s (see symbols-maps/README.md);
 * instead each map line is checked in place against a small open-addressing
 * table of the wanted names' bytes. A 64 Ki-entry filter keyed on (length,
 * second byte, last three bytes) rejects ~99% of lines before any hashing
 * (the 200 names of the benchmark pass 1.5% of the distribution map's
 * lines; a key on length, first and last byte passed 11%: names share
 * prefixes such as `__`, `snd_`, far more than suffixes), so the scan costs
 * little more than finding the newlines.
 */

/** How many ids a matcher built with export variants uses per wanted name. */
export const KSYMTAB_PREFIX = '__ksymtab_';

/**
 * The pre-filter key of the name bytes[start, end) (not empty): its length,
 * second byte and last three bytes, hashed to 16 bits. Shorter names repeat
 * their bytes, so every name has a key.
 */
export function filterKey(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  const second = bytes[len > 1 ? start + 1 : start]!;
  const last3 = bytes[len > 2 ? end - 3 : start]!;
  const last2 = bytes[len > 1 ? end - 2 : start]!;
  const packed = (second << 24) | (last3 << 16) | (last2 << 8) | bytes[end - 1]!;
  return Math.imul(packed ^ Math.imul(len, 0x27d4eb2d), 0x9e3779b1) >>> 16;
}

function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** Entries of each of NameMatcher's two filter tables. */
export const FILTER_ENTRIES = 1 << 16;

/** The second filter table's index for a name whose whole-name hash (fnv1a) is `hash`: its low 16 bits. */
function hashKey(hash: number): number {
  return hash & (FILTER_ENTRIES - 1);
}

/** The second filter table's index for the name bytes[start, end). */
export function nameHashKey(bytes: Uint8Array, start: number, end: number): number {
  return hashKey(fnv1a(bytes, start, end));
}

export class NameMatcher {
  /** The wanted names; a match returns an index into this array. */
  readonly names: readonly string[];
  /** With export variants, ids >= size denote `__ksymtab_<names[id - size]>`. */
  readonly size: number;
  /**
   * Every spelling's UTF-8 bytes, each followed by a NUL: spelling `id` is bytes[starts[id], starts[id + 1] - 1).
   * The NUL also keeps a lone surrogate at the end of one name from pairing with one that starts the next.
   */
  private readonly bytes: Uint8Array;
  private readonly starts: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;
  /**
   * Two tables in one array, each zero where a name is certainly not wanted:
   * [0, FILTER_ENTRIES) at filterKey() of every wanted spelling, which match()
   * tests; then at nameHashKey() of every wanted spelling, which the wasm scan
   * tests as well (line-filter.ts) so that JavaScript sees few lines besides
   * the hits. A matcher that must see every name fills the whole array.
   */
  readonly filter = new Uint8Array(2 * FILTER_ENTRIES);

  /**
   * @param names the wanted names (duplicates and empty strings ignored)
   * @param withExportVariants also match `__ksymtab_<name>` lines, reported as id + size
   */
  constructor(names: Iterable<string>, withExportVariants: boolean) {
    const unique = [...new Set(names)].filter((n) => n.length > 0);
    this.names = unique;
    this.size = unique.length;
    const all = withExportVariants ? [...unique, ...unique.map((n) => KSYMTAB_PREFIX + n)] : unique;
    // One encode of all spellings, not a Buffer each (thousands of them for a converter run's names).
    this.starts = new Int32Array(all.length + 1);
    for (let id = 0; id < all.length; id++) this.starts[id + 1] = this.starts[id]! + Buffer.byteLength(all[id]!) + 1;
    this.bytes = Buffer.from(all.join('\0') + '\0', 'utf8');
    let cap = 16;
    while (cap < all.length * 4) cap <<= 1;
    this.slots = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    const b = this.bytes;
    for (let id = 0; id < all.length; id++) {
      const start = this.starts[id]!;
      const end = this.starts[id + 1]! - 1;
      this.filter[filterKey(b, start, end)] = 1;
      const hash = fnv1a(b, start, end);
      // One hash for both: the filter's key and the slot.
      this.filter[FILTER_ENTRIES + hashKey(hash)] = 1;
      let slot = hash & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = id;
    }
  }

  /** The id of the wanted name spelled by bytes[start, end), or -1. */
  match(bytes: Uint8Array, start: number, end: number): number {
    const len = end - start;
    if (len <= 0 || this.filter[filterKey(bytes, start, end)] === 0) return -1;
    return this.lookup(bytes, start, end);
  }

  /** match() without the pre-filter. */
  lookup(bytes: Uint8Array, start: number, end: number): number {
    const len = end - start;
    let slot = fnv1a(bytes, start, end) & this.mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === -1) return -1;
      const from = this.starts[id]!;
      if (this.starts[id + 1]! - 1 - from === len) {
        const want = this.bytes;
        let i = 0;
        while (i < len && want[from + i] === bytes[start + i]) i++;
        if (i === len) return id;
      }
      slot = (slot + 1) & this.mask;
    }
  }
}
