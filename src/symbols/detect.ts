/**
 * Map format detection from the first bytes, so users pass any map with one
 * option and the loader picks the reader.
 */
import { COMPACT_MAGIC, compactMapReader } from './compact-map.js';
import { SymbolMapError } from './errors.js';
import { kallsymsMapReader, looksLikeKallsyms } from './kallsyms-map.js';
import { scanAllLines } from './line-scan.js';
import type { MapFormat, MapLineReader, ScannedMap } from './map-scan.js';
import type { NameMatcher } from './name-matcher.js';
import type { InputReader } from './read-input.js';
import { UPSTREAM_HEADER, upstreamMapReader } from './upstream-map.js';
import { YAML_MAP_KEY, scanYamlMap } from './yaml-map.js';

export function detectMapFormat(bytes: Buffer, file: string): MapFormat {
  if (bytes.length === 0) throw new SymbolMapError(file, 0, 'empty symbol map');
  const head = bytes.toString('utf8', 0, Math.min(bytes.length, 4096));
  if (head.startsWith(UPSTREAM_HEADER)) return 'upstream';
  if (head.startsWith(`${COMPACT_MAGIC} `)) return 'compact';
  const lines = head.split('\n');
  // YAML may open with comments, a directive or a document marker.
  const firstContent = lines.find(
    (l) => l.trim() !== '' && !l.startsWith('#') && !l.startsWith('%') && l.trim() !== '---',
  );
  if (firstContent !== undefined && firstContent.startsWith(`${YAML_MAP_KEY}:`)) return 'yaml';
  // A .yaml file that lacks the key is still meant as a YAML map: let its reader say what is missing.
  if (/\.ya?ml(\.gz)?$/.test(file)) return 'yaml';
  const first = lines[0]!.replace(/\r$/, '');
  if (looksLikeKallsyms(first)) return 'kallsyms';
  if (/^0x[0-9a-fA-F]+\t/.test(first)) {
    throw new SymbolMapError(
      file,
      1,
      'this looks like a Module.symvers file, not a symbol map: pass it as Module.symvers',
    );
  }
  throw new SymbolMapError(
    file,
    1,
    `unknown symbol map format: expected '${UPSTREAM_HEADER}', '${COMPACT_MAGIC} 1', ` +
      `a YAML map starting with '${YAML_MAP_KEY}: 1', or /proc/kallsyms / System.map lines`,
  );
}

/** The reader of a line-oriented format, for a map whose first bytes are `head`. */
export function lineReader(
  format: Exclude<MapFormat, 'yaml'>,
  head: Buffer,
  file: string,
  matcher: NameMatcher,
): MapLineReader {
  switch (format) {
    case 'upstream':
      return upstreamMapReader(head, file, matcher);
    case 'kallsyms':
      return kallsymsMapReader(file, matcher);
    case 'compact':
      return compactMapReader(head, file, matcher);
  }
}

/** Scan a map held whole in memory. */
export function scanMap(bytes: Buffer, file: string, format: MapFormat, matcher: NameMatcher): ScannedMap {
  if (format === 'yaml') return scanYamlMap(bytes, file, matcher);
  const reader = lineReader(format, bytes, file, matcher);
  scanAllLines(bytes, reader.visit, reader.skip);
  return reader.finish();
}

/** Scan a map as it is read (YAML maps are read whole: they are small and parsed as a whole). */
export async function scanMapInput(input: InputReader, format: MapFormat, matcher: NameMatcher): Promise<ScannedMap> {
  if (format === 'yaml') return scanYamlMap(await input.whole(), input.file, matcher);
  const reader = lineReader(format, await input.head(), input.file, matcher);
  await input.forEachLine(reader.visit, reader.skip, reader.lines);
  return reader.finish();
}
