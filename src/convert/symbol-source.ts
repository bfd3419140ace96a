/**
 * What the planner needs from the symbol maps and exports lists: the
 * contract of src/symbols (types.ts), minus what the planner can do without,
 * so planner tests can use small in-memory tables.
 */
import type { ExportEntry, Origin, PositionHint, SymbolEntry, SymbolIndex } from '../symbols/types.js';

export type { Origin };
export type MapDefinition = SymbolEntry;
export type ExportInfo = ExportEntry;
export type PositionHintInput = PositionHint;

/** A SymbolIndex whose load-time view is optional (maps that do not record it). */
export type SymbolLookup = Omit<SymbolIndex, 'countAtLoad'> & Partial<Pick<SymbolIndex, 'countAtLoad'>>;

/** A lookup that knows nothing: for runs that rely on annotations alone. */
export const EMPTY_LOOKUP: SymbolLookup = {
  definitions: () => [],
  countIn: () => undefined,
  orderKnown: () => false,
  exporter: () => undefined,
  objects: new Set(),
};
