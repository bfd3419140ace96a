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
 * The name is last on its line so the scanner can test the (length, first
 * byte, last byte) filter without looking for a field separator.
 */
import { SymbolMapError } from './errors.js';
import { type ScannedMap, internObject, rankHits, trimCR } from './map-scan.js';
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

/** Parse the header line; returns the version or throws. */
function checkHeader(bytes: Buffer, file: string): number {
  let end = bytes.indexOf(10);
  if (end < 0) end = bytes.length;
  const header = bytes.toString('utf8', 0, trimCR(bytes, 0, end));
  const m = /^klp-convert-symbols (\d+)$/.exec(header);
  if (!m) throw new SymbolMapError(file, 1, `not a compact symbol map: the first line must be '${COMPACT_MAGIC} ${COMPACT_VERSION}'`);
  const version = Number(m[1]);
  if (version !== COMPACT_VERSION) {
    throw new SymbolMapError(file, 1, `unsupported compact map version ${version} (this klp-convert reads version ${COMPACT_VERSION})`);
  }
  return end;
}

export function scanCompactMap(bytes: Buffer, file: string, matcher: NameMatcher): ScannedMap {
  const map: ScannedMap = { file, format: 'compact', objects: [], loadView: [], hits: [], exports: [] };
  const objectIds = new Map<string, number>();
  const size = matcher.size;
  const total = bytes.length;
  let start = checkHeader(bytes, file) + 1;
  let line = 1;
  let object = -1;
  // Byte ranges of the current object's file table, decoded only when a hit needs them.
  let fileStarts: number[] = [];
  let fileEnds: number[] = [];
  const filter = matcher.filter;
  while (start < total) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = total;
    line++;
    const stop = trimCR(bytes, start, end);
    if (stop > start) {
      const first = bytes[start]!;
      if (first === STAR) {
        const text = bytes.toString('utf8', start + 1, stop);
        const m = /^(\S+)( load)?$/.exec(text);
        if (!m) throw new SymbolMapError(file, line, "expected '*<object>' or '*<object> load'");
        object = internObject(map, objectIds, m[1]!, m[2] !== undefined);
        fileStarts = [];
        fileEnds = [];
      } else if (first === AT) {
        let p = start + 1;
        let id = 0;
        while (p < stop && isDigit(bytes[p]!)) id = id * 10 + bytes[p++]! - 0x30;
        if (object < 0) throw new SymbolMapError(file, line, "file entry before any '*<object>' line");
        if (p === start + 1 || bytes[p] !== SPACE || p + 1 >= stop) {
          throw new SymbolMapError(file, line, "expected '@<id> <source file>'");
        }
        if (id !== fileStarts.length + 1) {
          throw new SymbolMapError(file, line, `file ids must count up from 1 within an object: expected @${fileStarts.length + 1}, found @${id}`);
        }
        fileStarts.push(p + 1);
        fileEnds.push(stop);
      } else if (first !== HASH) {
        if (LINE_KIND[first] !== SYMBOL_LINE) {
          throw new SymbolMapError(file, line, "expected a symbol line '<type letter>[+][-][<file id>] <name>', '*<object>', '@<id> <file>' or '# comment'");
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
          else if (fileId > fileStarts.length) throw new SymbolMapError(file, line, `unknown file id ${fileId} (no '@${fileId}' line in this object)`);
        }
        if (p < 0 || p + 1 >= stop) {
          throw new SymbolMapError(file, line, "expected '<type letter>[+][-][<file id>] <name>'");
        }
        const nameStart = p + 1;
        const c = bytes[nameStart]!;
        // Inline filterKey(): see name-matcher.ts.
        const id =
          filter[(((stop - nameStart) << 8) ^ (c << 4) ^ (c << 11) ^ bytes[stop - 1]!) & 0xffff] === 0 ? -1 : matcher.lookup(bytes, nameStart, stop);
        if (id >= 0) {
          if (id < size) {
            const kind = String.fromCharCode(first);
            const hit: ScannedMap['hits'][number] = { object, nameId: id, line, kind };
            if (fileId > 0) hit.file = bytes.toString('utf8', fileStarts[fileId - 1]!, fileEnds[fileId - 1]!);
            if (loadOnly) hit.loadOnly = true;
            map.hits.push(hit);
            if (exported) map.exports.push({ object, nameId: id, line });
          } else {
            map.exports.push({ object, nameId: id - size, line });
          }
        }
      }
    }
    start = end + 1;
  }
  rankHits(map);
  return map;
}
