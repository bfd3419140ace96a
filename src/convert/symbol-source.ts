/**
 * What the planner needs from the symbol maps and exports lists. The
 * implementation lives in src/symbols; this is the contract, so the planner
 * can be tested with small in-memory tables.
 */
export interface Origin {
  file: string;
  line: number;
}

export interface MapDefinition {
  object: string;
  name: string;
  /** 1-based rank among the object's same-named symbols in kernel counting order, when known. */
  rank?: number;
  /** nm-style type letter, when known. */
  kind?: string;
  file?: string;
  /** Modules: the rank while the module is still loading (init symbols counted), when the map records it. */
  loadRank?: number;
  origin: Origin;
}

export interface ExportInfo {
  name: string;
  object: string;
  origin: Origin;
}

export interface SymbolLookup {
  definitions(name: string): readonly MapDefinition[];
  countIn(object: string, name: string): number | undefined;
  orderKnown(object: string, name: string): boolean;
  exporter(name: string): ExportInfo | undefined;
  readonly objects: ReadonlySet<string>;
  /** Modules: how many symbols of this name the kernel counts while the module is loading, when known. */
  countAtLoad?(object: string, name: string): number | undefined;
}

export interface PositionHintInput {
  name: string;
  object?: string;
  position?: number;
  file?: string;
  type?: 'func' | 'object';
  origin: Origin;
}

/** A lookup that knows nothing: for runs that rely on annotations alone. */
export const EMPTY_LOOKUP: SymbolLookup = {
  definitions: () => [],
  countIn: () => undefined,
  orderKnown: () => false,
  exporter: () => undefined,
  objects: new Set(),
};
