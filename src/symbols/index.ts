/**
 * Symbol inputs for klp-convert: symbol maps (upstream, /proc/kallsyms and
 * System.map, our compact and YAML formats), Module.symvers and positions
 * files. Formats are documented in symbols-maps/README.md.
 */
export type { SymbolEntry, ExportEntry, PositionHint, SymbolIndex, Origin } from './types.js';
export { SymbolMapError, SymbolSourceError } from './errors.js';
export { loadSymbolIndex } from './symbol-index.js';
export { loadPositions } from './positions.js';
export { sourceFileMatches, symbolTypeOfKind } from './hints.js';
export { kernelModuleName, moduleNameFromPath } from './module-name.js';
export { detectMapFormat } from './detect.js';
export type { MapFormat } from './map-scan.js';
