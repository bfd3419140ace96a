/**
 * Debian's kernel image packages ship an 83-byte System.map that only points
 * at the -dbg package ("The real System.map is in the linux-image-...-dbg
 * package"). It is no map: every reader of System.map files recognises it
 * here.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export const PLACEHOLDER_MARK = 'The real System.map is in';

/** Text of (the start of) a System.map is Debian's placeholder. */
export function isPlaceholderSystemMapText(text: string): boolean {
  return text.includes(PLACEHOLDER_MARK);
}

/** The first bytes of a file (a System.map's head says what it is). */
function head(file: string, bytes = 512): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0)).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** A regular file that is Debian's placeholder. */
export function isPlaceholderSystemMap(file: string): boolean {
  return isPlaceholderSystemMapText(head(file));
}

/** A file that starts like a real System.map (`<hex> <letter> <name>` lines), not the placeholder. */
export function isRealSystemMap(file: string): boolean {
  const text = head(file);
  return !isPlaceholderSystemMapText(text) && /^[0-9a-f]+ [A-Za-z] \S/m.test(text);
}
