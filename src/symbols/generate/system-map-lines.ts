/**
 * The lines of a System.map (`<hex address> <letter> <name>`, what `nm -n`
 * prints) read straight from its bytes, for files where that is simple: every
 * line printable ASCII, an address of at most 16 hex digits. Then the bytes
 * decode to the same text in any encoding, and each field is what the line
 * regex of vmlinuxFromSystemMap would capture. Anything else (another
 * character, a malformed line, Debian's placeholder) gives null, and the
 * caller reads the text the general way, which also names what is wrong.
 */
import { PLACEHOLDER_MARK } from '../system-map.js';

export interface SystemMapLines {
  /** Upper and lower 32 bits of each address. */
  hi: Uint32Array;
  lo: Uint32Array;
  kinds: string[];
  names: string[];
}

const NL = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
/** Printable ASCII other than the space: what `\S` matches among ASCII bytes, control characters aside. */
const isVisible = (c: number) => c > SPACE && c < 0x7f;
const MAX_HEX_DIGITS = 16;

/** The value of a hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

export function parseSimpleSystemMap(bytes: Buffer): SystemMapLines | null {
  if (bytes.includes(PLACEHOLDER_MARK, 0, 'latin1')) return null;
  let count = 0;
  for (let i = bytes.indexOf(NL); i >= 0; i = bytes.indexOf(NL, i + 1)) count++;
  const hi = new Uint32Array(count + 1);
  const lo = new Uint32Array(count + 1);
  const kinds: string[] = [];
  const names: string[] = [];
  let n = 0;
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(NL, start);
    if (end < 0) end = bytes.length;
    const next = end + 1;
    if (end > start && bytes[end - 1] === CR) end--;
    if (end > start) {
      // <hex> ' ' <letter> ' ' <name>: the shortest line has 5 bytes.
      let p = start;
      let high = 0;
      let low = 0;
      for (; p < end && bytes[p] !== SPACE; p++) {
        const v = hexValue(bytes[p]!);
        if (v < 0 || p - start >= MAX_HEX_DIGITS) return null;
        // The digit shifts into `low`; `low`'s top digit moves up into `high`.
        high = high * 16 + Math.floor(low / 0x10000000);
        low = (low % 0x10000000) * 16 + v;
      }
      if (p === start || end - p < 4 || bytes[p + 2] !== SPACE || !isVisible(bytes[p + 1]!)) return null;
      for (let q = p + 3; q < end; q++) if (!isVisible(bytes[q]!)) return null;
      hi[n] = high;
      lo[n] = low;
      kinds.push(String.fromCharCode(bytes[p + 1]!));
      names.push(bytes.toString('latin1', p + 3, end));
      n++;
    }
    start = next;
  }
  return { hi: hi.subarray(0, n), lo: lo.subarray(0, n), kinds, names };
}
