/**
 * Small helpers for matching position hints against map entries, so the
 * converter and the documentation agree on what `file:` and `type:` mean.
 */

/**
 * Whether a hint's `file` designates an entry's source file. Maps usually
 * carry STT_FILE basenames (`cmdline.c`) while authors write paths
 * (`fs/proc/cmdline.c`), and either may be the longer one: they match when
 * equal or when one is a '/'-bounded suffix of the other.
 */
export function sourceFileMatches(hint: string, entry: string): boolean {
  if (hint === entry) return true;
  const [longer, shorter] = hint.length > entry.length ? [hint, entry] : [entry, hint];
  return longer.endsWith(shorter) && longer.charAt(longer.length - shorter.length - 1) === '/';
}

/** nm letters of functions (text, weak, indirect functions). */
const FUNCTION_KINDS = new Set(['T', 't', 'W', 'w', 'i', 'I']);
/** nm letters of data objects. */
const OBJECT_KINDS = new Set(['D', 'd', 'B', 'b', 'R', 'r', 'V', 'v', 'G', 'g', 'S', 's', 'C', 'c', 'u']);

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
