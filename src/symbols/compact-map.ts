/**
 * Reader for our compact map format, `klp-convert-symbols 1` (documented in
 * symbols-maps/README.md and written by `klp-convert symbols`):
 *
 *     klp-convert-symbols 1
 *     # comments start with '#'
 *     *vmlinux
 *     @1 cmdline.c
 *     T _stext
 *     t1 cmdline_proc_show
 *     *ext4 load
 *     t-2 ext4_init_fs
 *     D+ some_exported_variable
 *
 * `*<object>[ load]` starts an object; `load` says the block also lists the
 * symbols a module shows only while loading. `@<id> <path>` defines source
 * file <id> (1, 2, ... per object). A symbol line is the nm letter, optional
 * `+` (exported), optional `-` (visible only while the module loads), an
 * optional file id, one space, then the name. Symbol lines are in kernel
 * counting order, so ranks are known.
 *
 * The name is last on its line so the scanner can test the matcher's
 * pre-filter (length, second byte, last bytes) without looking for a field
 * separator.
 */
import { SymbolMapError } from './errors.js';
import { type MapLineReader, type ScannedMap, firstLine, internObject, rankHits } from './map-scan.js';
import type { NameMatcher } from './name-matcher.js';

export const COMPACT_MAGIC = 'klp-convert-symbols';
export const COMPACT_VERSION = 1;

const SPACE = 0x20;
const STAR = 0x2a;
const AT = 0x40;
const HASH = 0x23;
const PLUS = 0x2b;
const MINUS = 0x2d;
const QUESTION = 0x3f;

/** First-byte classes: symbol lines start with an nm letter or '?'. */
const SYMBOL_LINE = 1;
const LINE_KIND = new Uint8Array(256);
for (let c = 0x41; c <= 0x5a; c++) LINE_KIND[c] = LINE_KIND[c + 0x20] = SYMBOL_LINE;
LINE_KIND[QUESTION] = SYMBOL_LINE;
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Source file names of one object, kept as bytes (most are never needed as strings). */
class FileTable {
  private bytes = Buffer.allocUnsafe(1 << 12);
  private ends: number[] = [];
  private used = 0;

  get length(): number {
    return this.ends.length;
  }

  clear(): void {
    this.ends.length = 0;
    this.used = 0;
  }

  push(from: Buffer, start: number, stop: number): void {
    const need = this.used + stop - start;
    if (need > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.bytes.length * 2));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    this.used += from.copy(this.bytes, this.used, start, stop);
    this.ends.push(this.used);
  }

  /** The name of file id `id` (1-based). */
  name(id: number): string {
    return this.bytes.toString('utf8', id > 1 ? this.ends[id - 2]! : 0, this.ends[id - 1]!);
  }
}

/** Check the header line; throws unless it is this version's. */
function checkHeader(head: Buffer, file: string): void {
  const m = /^klp-convert-symbols (\d+)$/.exec(firstLine(head));
  if (!m) {
    const want = `${COMPACT_MAGIC} ${COMPACT_VERSION}`;
    throw new SymbolMapError(file, 1, `not a compact symbol map: the first line must be '${want}'`);
  }
  const version = Number(m[1]);
  if (version !== COMPACT_VERSION) {
    throw new SymbolMapError(
      file,
      1,
      `unsupported compact map version ${version} (this klp-convert reads version ${COMPACT_VERSION})`,
    );
  }
}

/** A reader for a compact map whose first bytes are `head`. */
export function compactMapReader(head: Buffer, file: string, matcher: NameMatcher): MapLineReader {
  const map: ScannedMap = { file, format: 'compact', objects: [], loadView: [], hits: [], exports: [] };
  const objectIds = new Map<string, number>();
  checkHeader(head, file);
  const size = matcher.size;
  let object = -1;
  // The current object's file table, as bytes copied out of the window: decoded only for a hit.
  const files = new FileTable();
  const visit = (bytes: Buffer, start: number, stop: number, line: number): void => {
    const first = bytes[start]!;
    if (first === STAR) {
      const m = /^(\S+)( load)?$/.exec(bytes.toString('utf8', start + 1, stop));
      if (!m) throw new SymbolMapError(file, line, "expected '*<object>' or '*<object> load'");
      object = internObject(map, objectIds, m[1]!, m[2] !== undefined);
      files.clear();
    } else if (first === AT) {
      let p = start + 1;
      let id = 0;
      while (p < stop && isDigit(bytes[p]!)) id = id * 10 + bytes[p++]! - 0x30;
      if (object < 0) throw new SymbolMapError(file, line, "file entry before any '*<object>' line");
      if (p === start + 1 || bytes[p] !== SPACE || p + 1 >= stop) {
        throw new SymbolMapError(file, line, "expected '@<id> <source file>'");
      }
      if (id !== files.length + 1) {
        const expected = `expected @${files.length + 1}, found @${id}`;
        throw new SymbolMapError(file, line, `file ids must count up from 1 within an object: ${expected}`);
      }
      files.push(bytes, p + 1, stop);
    } else if (first !== HASH) {
      symbolLine(bytes, start, stop, line, first);
    }
  };
  const symbolLine = (bytes: Buffer, start: number, stop: number, line: number, first: number): void => {
    if (LINE_KIND[first] !== SYMBOL_LINE) {
      const expected = "'<type letter>[+][-][<file id>] <name>', '*<object>', '@<id> <file>' or '# comment'";
      throw new SymbolMapError(file, line, `expected a symbol line ${expected}`);
    }
    if (object < 0) throw new SymbolMapError(file, line, "symbol before any '*<object>' line");
    let p = start + 1;
    let exported = false;
    let loadOnly = false;
    let fileId = 0;
    // Most lines are '<letter> <name>'; only the others need their prefix parsed.
    if (bytes[p] !== SPACE) {
      if (bytes[p] === PLUS) {
        exported = true;
        p++;
      }
      if (bytes[p] === MINUS) {
        loadOnly = true;
        p++;
      }
      while (p < stop && isDigit(bytes[p]!)) fileId = fileId * 10 + bytes[p++]! - 0x30;
      if (bytes[p] !== SPACE) p = -1;
      else if (fileId > files.length) {
        throw new SymbolMapError(file, line, `unknown file id ${fileId} (no '@${fileId}' line in this object)`);
      }
    }
    if (p < 0 || p + 1 >= stop) {
      throw new SymbolMapError(file, line, "expected '<type letter>[+][-][<file id>] <name>'");
    }
    const id = matcher.match(bytes, p + 1, stop);
    if (id < 0) return;
    if (id >= size) {
      map.exports.push({ object, nameId: id - size, line });
      return;
    }
    const hit: ScannedMap['hits'][number] = { object, nameId: id, line, kind: String.fromCharCode(first) };
    if (fileId > 0) hit.file = files.name(fileId);
    if (loadOnly) hit.loadOnly = true;
    map.hits.push(hit);
    if (exported) map.exports.push({ object, nameId: id, line });
  };
  return {
    skip: 1,
    visit,
    lines: { format: 'compact', filter: matcher.filter },
    finish: () => {
      rankHits(map);
      return map;
    },
  };
}
