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

export { symbolTypeOfKind } from './nm-letters.js';
