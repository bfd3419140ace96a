/**
 * Writers for generated maps: our compact format (default) and upstream's
 * `klp-convert-symbol-data.0.1`. Both are pure functions of the model, so the
 * same inputs give the same bytes.
 */
import { COMPACT_MAGIC, COMPACT_VERSION } from '../compact-map.js';
import { UPSTREAM_HEADER } from '../upstream-map.js';
import { SymbolSourceError } from '../errors.js';
import type { MapObject, SymbolMapModel } from './model.js';

export type OutputFormat = 'compact' | 'upstream';

export function assertWritable(name: string, what: string): void {
  if (name === '' || name.includes('\n') || name.includes('\r')) {
    throw new SymbolSourceError(`cannot write ${what} ${JSON.stringify(name)}: names must be non-empty single lines`);
  }
}

/** The compact format's first lines: magic and version, then the provenance comments. */
export function compactHeaderText(comments: readonly string[]): string {
  return [`${COMPACT_MAGIC} ${COMPACT_VERSION}`, ...comments.map((c) => `# ${c}`)].map((l) => `${l}\n`).join('');
}

/** One object's block of the compact format, every line ending in a newline. */
export function compactObjectText(object: MapObject): string {
  const out: string[] = [];
  assertWritable(object.name, 'object');
  if (/\s/.test(object.name)) {
    throw new SymbolSourceError(`cannot write object ${JSON.stringify(object.name)}: object names have no blanks`);
  }
  out.push(object.loadView ? `*${object.name} load` : `*${object.name}`);
  // File table first: ids in order of first use, so the block reads top-down.
  const fileIds = new Map<string, number>();
  for (const s of object.symbols) {
    if (s.file !== undefined && !fileIds.has(s.file)) {
      assertWritable(s.file, 'source file');
      fileIds.set(s.file, fileIds.size + 1);
      out.push(`@${fileIds.size} ${s.file}`);
    }
  }
  for (const s of object.symbols) {
    assertWritable(s.name, 'symbol');
    const fileId = s.file === undefined ? '' : String(fileIds.get(s.file));
    out.push(`${s.kind}${s.exported ? '+' : ''}${s.loadOnly ? '-' : ''}${fileId} ${s.name}`);
  }
  out.push('');
  return out.join('\n');
}

export function writeCompactMap(model: SymbolMapModel): string {
  return compactHeaderText(model.comments) + model.objects.map(compactObjectText).join('');
}

export const upstreamHeaderText = (): string => `${UPSTREAM_HEADER}\n`;

/**
 * One object's block of the upstream format: what the kernel counts after
 * init (load-only symbols left out), in kallsyms order rather than upstream's
 * nm name order, which readers of that format must not rely on anyway.
 * Exports are written as `__ksymtab_<name>` lines when the object does not
 * list one already.
 */
export function upstreamObjectText(object: MapObject): string {
  const out: string[] = [];
  assertWritable(object.name, 'object');
  out.push(`*${object.name}`);
  const listed = new Set<string>();
  for (const s of object.symbols) if (!s.loadOnly) listed.add(s.name);
  for (const s of object.symbols) {
    if (s.loadOnly) continue;
    assertWritable(s.name, 'symbol');
    out.push(s.name);
    if (s.exported && !listed.has(`__ksymtab_${s.name}`)) {
      listed.add(`__ksymtab_${s.name}`);
      out.push(`__ksymtab_${s.name}`);
    }
  }
  out.push('');
  return out.join('\n');
}

export function writeUpstreamMap(model: SymbolMapModel): string {
  return upstreamHeaderText() + model.objects.map(upstreamObjectText).join('');
}

export function writeMap(model: SymbolMapModel, format: OutputFormat): string {
  return format === 'compact' ? writeCompactMap(model) : writeUpstreamMap(model);
}
