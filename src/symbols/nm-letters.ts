/**
 * What nm's type letters (and /proc/kallsyms', which uses the same ones) say
 * about a symbol, in one place: the map readers record letters, the planner
 * and the position hints read them. (generate/nm-kind.ts is the other way
 * round: it gives an ELF symbol its letter.)
 */

/** nm letters of functions (text, weak, indirect functions). */
const FUNCTION_KINDS = new Set(['T', 't', 'W', 'w', 'i', 'I']);
/** nm letters of data objects. */
const OBJECT_KINDS = new Set(['D', 'd', 'B', 'b', 'R', 'r', 'V', 'v', 'G', 'g', 'S', 's', 'C', 'c', 'u']);
/** nm letters of references, not definitions: undefined, weak undefined (function or object). */
const REFERENCE_KINDS = new Set(['U', 'w', 'v']);

/**
 * 'func' or 'object' for an nm letter, undefined when the letter does not say
 * (A: absolute, also how /proc/kallsyms shows per-CPU variables; ? and U).
 * Note nm prints W for any weak symbol that is not STT_OBJECT, so a weak
 * NOTYPE label counts as a function.
 */
export function symbolTypeOfKind(kind: string | undefined): 'func' | 'object' | undefined {
  if (kind === undefined) return undefined;
  if (FUNCTION_KINDS.has(kind)) return 'func';
  if (OBJECT_KINDS.has(kind)) return 'object';
  return undefined;
}

/** A map entry with this letter defines the symbol (no letter: the map only lists definitions). */
export function isDefinitionKind(kind: string | undefined): boolean {
  return kind === undefined || !REFERENCE_KINDS.has(kind);
}

/** Upper-case letters are global symbols, lower-case local ones. */
export function isGlobalKind(kind: string): boolean {
  return kind >= 'A' && kind <= 'Z';
}
