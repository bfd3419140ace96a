/**
 * Map format detection from the first bytes, so users pass any map with one
 * option and the loader picks the reader.
 */
import { COMPACT_MAGIC, scanCompactMap } from './compact-map.js';
import { SymbolMapError } from './errors.js';
import { looksLikeKallsyms, scanKallsymsMap } from './kallsyms-map.js';
import type { MapFormat, ScannedMap } from './map-scan.js';
import type { NameMatcher } from './name-matcher.js';
import { UPSTREAM_HEADER, scanUpstreamMap } from './upstream-map.js';
import { YAML_MAP_KEY, scanYamlMap } from './yaml-map.js';

export function detectMapFormat(bytes: Buffer, file: string): MapFormat {
  if (bytes.length === 0) throw new SymbolMapError(file, 0, 'empty symbol map');
  const head = bytes.toString('utf8', 0, Math.min(bytes.length, 4096));
  if (head.startsWith(UPSTREAM_HEADER)) return 'upstream';
  if (head.startsWith(`${COMPACT_MAGIC} `)) return 'compact';
  const lines = head.split('\n');
  // YAML may open with comments, a directive or a document marker.
  const firstContent = lines.find((l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('%') && l.trim() !== '---');
  if (firstContent !== undefined && firstContent.startsWith(`${YAML_MAP_KEY}:`)) return 'yaml';
  // A .yaml file that lacks the key is still meant as a YAML map: let its reader say what is missing.
  if (/\.ya?ml(\.gz)?$/.test(file)) return 'yaml';
  const first = lines[0]!.replace(/\r$/, '');
  if (looksLikeKallsyms(first)) return 'kallsyms';
  if (/^0x[0-9a-fA-F]+\t/.test(first)) {
    throw new SymbolMapError(file, 1, 'this looks like a Module.symvers file, not a symbol map: pass it as Module.symvers');
  }
  throw new SymbolMapError(
    file,
    1,
    `unknown symbol map format: expected '${UPSTREAM_HEADER}', '${COMPACT_MAGIC} 1', a YAML map starting with '${YAML_MAP_KEY}: 1', or /proc/kallsyms / System.map lines`,
  );
}

export function scanMap(bytes: Buffer, file: string, format: MapFormat, matcher: NameMatcher): ScannedMap {
  switch (format) {
    case 'upstream':
      return scanUpstreamMap(bytes, file, matcher);
    case 'kallsyms':
      return scanKallsymsMap(bytes, file, matcher);
    case 'compact':
      return scanCompactMap(bytes, file, matcher);
    case 'yaml':
      return scanYamlMap(bytes, file, matcher);
  }
}
