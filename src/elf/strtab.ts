import { latin1, writeLatin1 } from './bytes.js';

/**
 * A string table that starts from the input's bytes and only appends, so an
 * unchanged table is reproduced exactly and every existing st_name/sh_name
 * offset stays valid. Strings that already exist are found, not repeated.
 */
export class StringTableBuilder {
  private readonly base: Uint8Array;
  /** Appended strings, each with its NUL, encoded once by bytes(): one array, not one a name. */
  private readonly added: string[] = [];
  private length: number;
  private known: Map<string, number> | null = null;
  private text: string | undefined;

  constructor(original: Uint8Array) {
    // A table must start with NUL so that offset 0 is the empty string.
    this.base = original.length > 0 ? original : new Uint8Array([0]);
    this.length = this.base.length;
  }

  /** Whether `name` is the string at `offset` of the original table (cheap check for unchanged names). */
  matchesOriginal(offset: number, name: string): boolean {
    const b = this.base;
    if (offset < 0 || offset + name.length >= b.length) return false;
    if (b[offset + name.length] !== 0) return false;
    // One native comparison against the table decoded once; a character above 0xff can still match
    // the byte it is written as (writeLatin1 keeps the low byte), so only such names compare bytes.
    if ((this.text ??= latin1(b, 0, b.length)).startsWith(name, offset)) return true;
    if (!hasWideCharacter(name)) return false;
    for (let i = 0; i < name.length; i++) if (b[offset + i] !== (name.charCodeAt(i) & 0xff)) return false;
    return true;
  }

  /** Offset of `name`, appending it if the table does not hold it yet. */
  add(name: string): number {
    if (name === '') return 0;
    const known = this.index();
    const at = known.get(name);
    if (at !== undefined) return at;
    if (this.added.length === 0 && this.base[this.base.length - 1] !== 0) {
      // Terminate an unterminated last string before appending after it (only then: an
      // unchanged table must stay byte for byte as it was).
      this.added.push('\0');
      this.length += 1;
    }
    const offset = this.length;
    this.added.push(name + '\0');
    this.length += name.length + 1;
    known.set(name, offset);
    return offset;
  }

  /** Offset of `name`, preferring `hint` (its offset in the input) when it still holds that name. */
  offsetOf(name: string, hint: number | undefined): number {
    if (hint !== undefined && this.matchesOriginal(hint, name)) return hint;
    return this.add(name);
  }

  bytes(): Uint8Array {
    if (this.added.length === 0) return this.base;
    const out = new Uint8Array(this.length);
    out.set(this.base, 0);
    writeLatin1(out, this.base.length, this.added.join(''));
    return out;
  }

  /** Built on first need: most writes change no names and never pay for it. */
  private index(): Map<string, number> {
    if (this.known) return this.known;
    const m = new Map<string, number>();
    // One decode and one split, not a decode a string; the part after the last NUL is no string yet.
    const parts = (this.text ??= latin1(this.base, 0, this.base.length)).split('\0');
    let start = 0;
    for (let k = 0; k < parts.length - 1; k++) {
      const s = parts[k]!;
      if (s.length > 0 && !m.has(s)) m.set(s, start);
      start += s.length + 1;
    }
    this.known = m;
    return m;
  }
}

/** Whether a character of `s` is above 0xff, so that writeLatin1 writes only its low byte. */
function hasWideCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return true;
  return false;
}
