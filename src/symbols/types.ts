/**
 * The symbol-lookup contract between the map readers (this directory) and the
 * converter (src/convert). Field meanings follow the kernel's livepatch
 * resolver: a `.klp.sym.<obj>.<name>,<pos>` symbol with pos N >= 1 names the
 * N-th symbol called <name> in <obj>, counted in kallsyms order.
 */
import type { SimilarName } from './similar-names.js';

/** Where a fact came from, for diagnostics. `line` is 1-based. */
export interface Origin {
  file: string;
  line: number;
}

export interface SymbolEntry {
  /** 'vmlinux' or a kernel module name ('_' not '-'). */
  object: string;
  name: string;
  /**
   * 1-based rank among same-named symbols of this object in kernel counting
   * order; undefined if the source does not know the order.
   */
  rank?: number;
  /** nm letter (T t D d B b R r W w V v A U ...) when known. */
  kind?: string;
  /** Source file (from STT_FILE, usually a basename) when known. */
  file?: string;
  /**
   * Modules only, when the map records it: the rank the kernel counts while
   * the module is still loading (its full symtab, init symbols included). A
   * livepatch loaded before its target resolves the target's relocations at
   * that moment, so a position is only safe when `loadRank === rank`.
   */
  loadRank?: number;
  origin: Origin;
}

export interface ExportEntry {
  name: string;
  object: string;
  origin: Origin;
}

export interface PositionHint {
  name: string;
  object?: string;
  position?: number;
  file?: string;
  type?: 'func' | 'object';
  origin: Origin;
}

export interface SymbolIndex {
  /**
   * Every definition of `name` known to the loaded maps (only names in
   * `wanted` are guaranteed present; others are looked up by a slower rescan),
   * grouped by object in map order, within an object in kernel counting order
   * when known.
   */
  definitions(name: string): readonly SymbolEntry[];
  /** How many symbols named `name` the kernel will count in `object` (undefined if no map describes that object). */
  countIn(object: string, name: string): number | undefined;
  /** Whether the loaded data knows kernel counting order for `name` in `object`. */
  orderKnown(object: string, name: string): boolean;
  /** Who exports `name` (Module.symvers first, then map export marks). */
  exporter(name: string): ExportEntry | undefined;
  /** Every object any loaded map describes. */
  readonly objects: ReadonlySet<string>;
  /**
   * Modules only: how many symbols named `name` the kernel counts while
   * `object` is still loading (undefined when no loaded map records that view;
   * then assume it equals `countIn`).
   */
  countAtLoad(object: string, name: string): number | undefined;
  /**
   * For names no map has: the map names that are their compiler clones or
   * close to them (one more pass over the maps; for error messages only).
   */
  similarNames?(names: readonly string[]): Map<string, SimilarName[]>;
}
