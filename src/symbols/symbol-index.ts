/**
 * loadSymbolIndex: read every map and Module.symvers once, keep only what the
 * wanted names need, and answer the converter's questions.
 *
 * Several maps may describe the same object. For each (object, name) the
 * answer comes from, in order of preference:
 *   1. the first YAML map that lists that name for that object (hand-written
 *      maps are overrides);
 *   2. the first map that describes the object and knows kallsyms order
 *      (compact, /proc/kallsyms, System.map);
 *   3. the first map that describes the object at all (upstream; a YAML map
 *      that describes the object but not the name means "none there").
 * Entries of one object are never mixed from two maps, so counts and ranks
 * stay consistent.
 *
 * The maps are streamed (see read-input.ts): only what the wanted names need
 * is kept. Names outside `wanted` still work: the first query for one reads
 * the inputs again, whole, and keeps them for later such queries (~100 ms on
 * the 20 MB distribution map).
 */
import { detectMapFormat, scanMap, scanMapInput } from './detect.js';
import type { ExportMark, MapFormat, MapHit, ScannedMap } from './map-scan.js';
import { NameMatcher } from './name-matcher.js';
import { type SimilarName, SimilarNameCollector } from './similar-names.js';
import { InputReader, readInputSync } from './read-input.js';
import { SymversScan, scanSymvers } from './symvers.js';
import type { ExportEntry, SymbolEntry, SymbolIndex } from './types.js';
import { loadYamlLibrary } from './yaml-support.js';

interface LoadedMap {
  file: string;
  format: MapFormat;
  /** Object name -> index in this map's object list. */
  objects: Map<string, number>;
  objectNames: string[];
  loadView: boolean[];
  whole: WholeInput;
}

/** An input read again whole, on the rare paths (names not announced, similar names). */
class WholeInput {
  private bytes: Buffer | undefined;

  constructor(readonly file: string) {}

  get(): Buffer {
    this.bytes ??= readInputSync(this.file);
    return this.bytes;
  }
}

/**
 * Everything known about one name: its hits per map, grouped by object. A map
 * without hits (or listings) for the name has no entry: most names are in one
 * object of one map, and a thousand names would otherwise cost a thousand empty
 * maps and sets per map.
 */
interface NameFacts {
  /** Per map: the hits in file order, by object index. */
  hits: (HitsByObject | undefined)[];
  /** Per map: the objects this YAML map lists the name for; absent until a YAML map lists the name. */
  listed: (Set<number> | undefined)[] | undefined;
  definitions: readonly SymbolEntry[];
  exporter: ExportEntry | undefined;
}

const NO_HITS: readonly MapHit[] = [];
const NO_DEFINITIONS: readonly SymbolEntry[] = [];

/**
 * One name's hits in one map, by object. Most names are in a single object: their hits are one list,
 * and a Map (half a kilobyte, for each of thousands of names, carried through every collection of
 * the run) is made only for a name found in a second object.
 */
class HitsByObject {
  /** Each object with hits, in order of its first hit. */
  declare readonly objects: number[];
  private declare readonly firstHits: MapHit[];
  private declare byObject: Map<number, MapHit[]> | undefined;

  constructor(first: MapHit) {
    this.objects = [first.object];
    this.firstHits = [first];
    this.byObject = undefined;
  }

  add(hit: MapHit): void {
    if (!this.byObject) {
      if (hit.object === this.objects[0]) {
        this.firstHits.push(hit);
        return;
      }
      this.byObject = new Map([[this.objects[0]!, this.firstHits]]);
    }
    const list = this.byObject.get(hit.object);
    if (list) list.push(hit);
    else {
      this.byObject.set(hit.object, [hit]);
      this.objects.push(hit.object);
    }
  }

  /** The hits in `object`, in file order. */
  get(object: number): readonly MapHit[] {
    if (this.byObject) return this.byObject.get(object) ?? NO_HITS;
    return object === this.objects[0] ? this.firstHits : NO_HITS;
  }
}

function orderKnownFormat(format: MapFormat): boolean {
  return format === 'compact' || format === 'kallsyms';
}

class LoadedSymbolIndex implements SymbolIndex {
  readonly objects: ReadonlySet<string>;
  private readonly facts = new Map<string, NameFacts>();
  /** Each object's place in map order (first map first, then each map's order). */
  private readonly objectRank = new Map<string, number>();

  constructor(
    private readonly maps: LoadedMap[],
    private readonly symvers: WholeInput[],
  ) {
    for (const m of maps) {
      for (const o of m.objectNames) if (!this.objectRank.has(o)) this.objectRank.set(o, this.objectRank.size);
    }
    this.objects = new Set(this.objectRank.keys());
  }

  /** Record the scans of one batch of names (all maps scanned with the same matcher). */
  ingest(matcher: NameMatcher, scans: ScannedMap[], exports: Map<string, ExportEntry>[]): void {
    const batch: NameFacts[] = matcher.names.map(() => this.noFacts());
    // Here and below, loops over hits and definitions are index loops: they run a few times a wanted
    // name (thousands) before any of this is optimised, where for-of allocates a result object a step.
    scans.forEach((scan, mapIndex) => {
      const hits = scan.hits;
      for (let k = 0; k < hits.length; k++) {
        const hit = hits[k]!;
        const perMap = batch[hit.nameId]!.hits;
        const byObject = perMap[mapIndex];
        if (byObject) byObject.add(hit);
        else perMap[mapIndex] = new HitsByObject(hit);
      }
      if (scan.listed) {
        for (const key of scan.listed) {
          const [object, nameId] = key.split(':').map(Number) as [number, number];
          ((batch[nameId]!.listed ??= [])[mapIndex] ??= new Set()).add(object);
        }
      }
    });
    // Each map's first export mark per name, found in one pass (a search per name grew as names x marks).
    const firstMarks = scans.map((scan) => {
      const first = new Map<number, ExportMark>();
      for (const mark of scan.exports) if (!first.has(mark.nameId)) first.set(mark.nameId, mark);
      return first;
    });
    matcher.names.forEach((name, nameId) => {
      const facts = batch[nameId]!;
      facts.exporter = this.findExporter(name, nameId, scans, firstMarks, exports);
      this.facts.set(name, facts);
      facts.definitions = this.buildDefinitions(name, facts);
    });
  }

  private findExporter(
    name: string,
    nameId: number,
    scans: ScannedMap[],
    firstMarks: Map<number, ExportMark>[],
    exports: Map<string, ExportEntry>[],
  ): ExportEntry | undefined {
    for (const table of exports) {
      const e = table.get(name);
      if (e) return e;
    }
    for (let i = 0; i < scans.length; i++) {
      const mark = firstMarks[i]!.get(nameId);
      if (!mark) continue;
      const scan = scans[i]!;
      return { name, object: scan.objects[mark.object]!, origin: { file: scan.file, line: mark.line } };
    }
    return undefined;
  }

  /** Which map answers for (object, name): see the file comment. -1 when no map describes the object. */
  private chooseMap(object: string, facts: NameFacts): number {
    let ordered = -1;
    let any = -1;
    let yamlDescribes = -1;
    for (let i = 0; i < this.maps.length; i++) {
      const m = this.maps[i]!;
      const local = m.objects.get(object);
      if (local === undefined) continue;
      if (m.format === 'yaml') {
        if (facts.listed?.[i]?.has(local)) return i;
        if (yamlDescribes < 0) yamlDescribes = i;
        continue;
      }
      if (ordered < 0 && orderKnownFormat(m.format)) ordered = i;
      if (any < 0) any = i;
    }
    if (ordered >= 0) return ordered;
    if (any >= 0) return any;
    return yamlDescribes;
  }

  private hitsFor(object: string, facts: NameFacts, mapIndex: number): readonly MapHit[] {
    const local = this.maps[mapIndex]!.objects.get(object)!;
    return facts.hits[mapIndex]?.get(local) ?? NO_HITS;
  }

  /**
   * The objects where some map has the name, in map order. Only those: visiting all 4,000 objects per
   * name would dominate the load. Most names are in one object: that needs no set and no sort.
   */
  private objectsWithHits(facts: NameFacts): string[] {
    let first: string | undefined;
    let more: Set<string> | undefined;
    for (let mapIndex = 0; mapIndex < facts.hits.length; mapIndex++) {
      const byObject = facts.hits[mapIndex];
      if (!byObject) continue;
      const names = this.maps[mapIndex]!.objectNames;
      const locals = byObject.objects;
      for (let i = 0; i < locals.length; i++) {
        const object = names[locals[i]!]!;
        if (first === undefined) first = object;
        else if (object !== first) (more ??= new Set([first])).add(object);
      }
    }
    if (first === undefined) return [];
    if (!more) return [first];
    return [...more].sort((a, b) => this.objectRank.get(a)! - this.objectRank.get(b)!);
  }

  private buildDefinitions(name: string, facts: NameFacts): SymbolEntry[] {
    const defs: SymbolEntry[] = [];
    const objects = this.objectsWithHits(facts);
    for (let i = 0; i < objects.length; i++) {
      const object = objects[i]!;
      const mapIndex = this.chooseMap(object, facts);
      if (mapIndex < 0) continue;
      const file = this.maps[mapIndex]!.file;
      const hits = this.hitsFor(object, facts, mapIndex);
      for (let k = 0; k < hits.length; k++) {
        const hit = hits[k]!;
        if (hit.loadOnly) continue;
        const entry: SymbolEntry = { object, name, origin: { file, line: hit.line } };
        if (hit.rank !== undefined) entry.rank = hit.rank;
        if (hit.kind !== undefined) entry.kind = hit.kind;
        if (hit.file !== undefined) entry.file = hit.file;
        if (hit.loadRank !== undefined) entry.loadRank = hit.loadRank;
        defs.push(entry);
      }
    }
    return defs;
  }

  private factsFor(name: string): NameFacts {
    let facts = this.facts.get(name);
    if (!facts) {
      // Slow path: a name the caller did not announce. Rescan everything for it alone.
      const matcher = new NameMatcher([name], true);
      const scans = this.maps.map((m) => scanMap(m.whole.get(), m.file, m.format, matcher));
      const exports = this.symvers.map((s) => scanSymvers(s.get(), s.file, matcher));
      this.ingest(matcher, scans, exports);
      facts = this.facts.get(name) ?? this.noFacts();
      this.facts.set(name, facts);
    }
    return facts;
  }

  /** Facts of a name no map has (yet): also those of a name no matcher can hold (the empty string). */
  private noFacts(): NameFacts {
    return { hits: [], listed: undefined, definitions: NO_DEFINITIONS, exporter: undefined };
  }

  definitions(name: string): readonly SymbolEntry[] {
    return this.factsFor(name).definitions;
  }

  countIn(object: string, name: string): number | undefined {
    const facts = this.factsFor(name);
    const mapIndex = this.chooseMap(object, facts);
    if (mapIndex < 0) return undefined;
    let n = 0;
    const hits = this.hitsFor(object, facts, mapIndex);
    for (let k = 0; k < hits.length; k++) if (!hits[k]!.loadOnly) n++;
    return n;
  }

  countAtLoad(object: string, name: string): number | undefined {
    const facts = this.factsFor(name);
    const mapIndex = this.chooseMap(object, facts);
    if (mapIndex < 0) return undefined;
    const m = this.maps[mapIndex]!;
    if (!m.loadView[m.objects.get(object)!]) return undefined;
    return this.hitsFor(object, facts, mapIndex).length;
  }

  orderKnown(object: string, name: string): boolean {
    const facts = this.factsFor(name);
    const mapIndex = this.chooseMap(object, facts);
    if (mapIndex < 0) return false;
    const format = this.maps[mapIndex]!.format;
    if (orderKnownFormat(format)) return true;
    if (format !== 'yaml') return false;
    const hits = this.hitsFor(object, facts, mapIndex);
    return hits.length > 0 && hits.every((h) => h.rank !== undefined);
  }

  exporter(name: string): ExportEntry | undefined {
    return this.factsFor(name).exporter;
  }

  similarNames(names: readonly string[]): Map<string, SimilarName[]> {
    const collector = new SimilarNameCollector(names);
    for (const m of this.maps) scanMap(m.whole.get(), m.file, m.format, collector);
    return collector.results();
  }
}

/**
 * Load symbol maps (any supported format, optionally gzipped) and
 * Module.symvers files. Only `wanted` names are extracted up front.
 */
export async function loadSymbolIndex(
  opts: { maps: string[]; symvers: string[] },
  wanted: ReadonlySet<string>,
): Promise<SymbolIndex> {
  // Every input is opened and its head read before any is scanned, so that an
  // unreadable file is reported before a format error, maps before Module.symvers.
  const inputs: InputReader[] = [];
  try {
    for (const file of [...opts.maps, ...opts.symvers]) inputs.push(InputReader.open(file));
    const heads: Buffer[] = [];
    for (const input of inputs) heads.push(await input.head());
    const formats = opts.maps.map((file, i) => detectMapFormat(heads[i]!, file));
    if (formats.includes('yaml')) await loadYamlLibrary();
    const matcher = new NameMatcher(wanted, true);
    const maps: LoadedMap[] = [];
    const scans: ScannedMap[] = [];
    for (const [i, file] of opts.maps.entries()) {
      const format = formats[i]!;
      const scan = await scanMapInput(inputs[i]!, format, matcher);
      scans.push(scan);
      const objects = new Map(scan.objects.map((o, j) => [o, j] as const));
      const whole = new WholeInput(file);
      maps.push({ file, format, objects, objectNames: scan.objects, loadView: scan.loadView, whole });
    }
    const exports: Map<string, ExportEntry>[] = [];
    for (const [i, file] of opts.symvers.entries()) {
      const scan = new SymversScan(file, matcher);
      await inputs[opts.maps.length + i]!.forEachLine(scan.visit, 0, scan.lines);
      exports.push(scan.found);
    }
    const index = new LoadedSymbolIndex(maps, opts.symvers.map((file) => new WholeInput(file)));
    index.ingest(matcher, scans, exports);
    return index;
  } finally {
    for (const input of inputs) input.close();
  }
}
