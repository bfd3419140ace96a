/**
 * The one line loop of every line-oriented input (upstream, compact and
 * kallsyms maps, Module.symvers): each reader is a visitor of byte ranges,
 * so none of them decodes a line it does not want.
 *
 * Lines are numbered from 1 in the whole input, a '\r' before the '\n' is
 * not part of the line, and empty lines are counted but not visited (no
 * format gives them a meaning).
 */

/** Called for each non-empty line: bytes[start, stop) is the line, `line` its 1-based number. */
export type LineVisitor = (bytes: Buffer, start: number, stop: number, line: number) => void;

/** Where a scan of consecutive pieces of one input has got to. */
export interface LineCursor {
  /** Number of the last line seen (0 before the first). */
  line: number;
}

/**
 * Visit the complete lines of bytes[from, end). With `last` false the input
 * goes on after `end`: the unterminated piece at the end is left for the next
 * call, and its offset is returned. With `last` true it is a line too.
 */
export function scanLines(
  bytes: Buffer,
  from: number,
  end: number,
  last: boolean,
  cursor: LineCursor,
  visit: LineVisitor,
): number {
  // A view that ends at `end`, so that indexOf never reads bytes left over in a reused buffer.
  const view = end === bytes.length ? bytes : bytes.subarray(0, end);
  let line = cursor.line;
  let start = from;
  while (start < end) {
    let nl = view.indexOf(10, start);
    if (nl < 0) {
      if (!last) break;
      nl = end;
    }
    line++;
    const stop = nl > start && view[nl - 1] === 13 ? nl - 1 : nl;
    if (stop > start) visit(view, start, stop, line);
    start = nl + 1;
  }
  cursor.line = line;
  return Math.min(start, end);
}

/** Visit every line of an input held whole in memory, after skipping its first `skip` lines. */
export function scanAllLines(bytes: Buffer, visit: LineVisitor, skip = 0): void {
  const cursor: LineCursor = { line: 0 };
  let from = 0;
  for (let i = 0; i < skip && from < bytes.length; i++) {
    const nl = bytes.indexOf(10, from);
    from = nl < 0 ? bytes.length : nl + 1;
    cursor.line++;
  }
  scanLines(bytes, from, bytes.length, true, cursor, visit);
}
