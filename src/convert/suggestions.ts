/**
 * Notes for "is in no symbol map" errors: what the maps do have under a
 * similar name. Computed only after a run failed (one more pass over the
 * maps), so the successful path pays nothing.
 */
import type { SimilarName } from '../symbols/similar-names.js';
import type { Diagnostic } from './diagnostics.js';
import type { SymbolLookup } from './symbol-source.js';

/** At most this many clones and close names are listed per symbol. */
const MAX_LISTED = 5;

function describeDefinitions(lookup: SymbolLookup, name: string): string[] {
  const defs = lookup.definitions(name);
  if (defs.length === 0) return [`${name}`];
  return defs.map((d) => {
    const position = defs.filter((x) => x.object === d.object).length > 1 ? d.rank ?? 0 : 0;
    const parts = [`${name} in ${d.object}, position ${position}`];
    if (d.kind) parts.push(`type ${d.kind}`);
    if (d.file) parts.push(`file ${d.file}`);
    return `${parts.join(', ')} (${d.origin.file}:${d.origin.line})`;
  });
}

function notesFor(name: string, similar: readonly SimilarName[], lookup: SymbolLookup): string[] {
  const notes: string[] = [];
  const clones = similar.filter((s) => s.kind === 'clone').slice(0, MAX_LISTED);
  if (clones.length > 0) {
    notes.push(
      `the maps have compiler clones of '${name}' (the compiler specialised or split it and renamed the copy):`,
    );
    for (const c of clones) for (const line of describeDefinitions(lookup, c.name)) notes.push(`  ${line}`);
    notes.push(
      "warning: a clone's calling convention may differ from the source: .isra may drop or",
      'change arguments, .constprop fixes some, .part and .cold are pieces of a function; call a',
      'clone only where its arguments are known to match (declare it with an asm label naming the',
      'clone), or patch its callers instead',
    );
  }
  const close = similar.filter((s) => s.kind === 'close').slice(0, MAX_LISTED);
  if (close.length > 0) {
    notes.push('did you mean:');
    for (const c of close) for (const line of describeDefinitions(lookup, c.name)) notes.push(`  ${line}`);
  }
  return notes;
}

/** The diagnostics, with suggestions added to each error about a symbol no map has. */
export function withSuggestions(diagnostics: Diagnostic[], lookup: SymbolLookup): Diagnostic[] {
  const unknown = diagnostics.flatMap((d) => (d.unknownSymbol !== undefined ? [d.unknownSymbol] : []));
  if (unknown.length === 0 || !lookup.similarNames) return diagnostics;
  const similar = lookup.similarNames(unknown);
  return diagnostics.map((d) => {
    if (d.unknownSymbol === undefined) return d;
    const notes = notesFor(d.unknownSymbol, similar.get(d.unknownSymbol) ?? [], lookup);
    return notes.length === 0 ? d : { ...d, notes: [...(d.notes ?? []), ...notes] };
  });
}
