/** How candidates and hints read in error messages (the planner's and the placement rules'). */
import type { MapDefinition, PositionHintInput } from './symbol-source.js';

/** A positions-file entry as the author wrote it, with where. */
export function describeHint(h: PositionHintInput): string {
  const parts = [
    h.object && `object ${h.object}`,
    h.file && `file ${h.file}`,
    h.type && `type ${h.type}`,
    h.position !== undefined && `position ${h.position}`,
  ].filter(Boolean);
  return `${parts.join(', ')} (${h.origin.file}:${h.origin.line})`;
}

/** One line per candidate: object, 1-based position when known, type, file, and where the map said so. */
export function describeCandidates(defs: readonly MapDefinition[]): string[] {
  return defs.map((d) => {
    const pos = d.rank !== undefined ? `position ${d.rank}` : 'position unknown';
    const extra = [d.kind && `type ${d.kind}`, d.file && `file ${d.file}`].filter(Boolean).join(', ');
    return `${d.object}, ${pos}${extra ? `, ${extra}` : ''} (${d.origin.file}:${d.origin.line})`;
  });
}
