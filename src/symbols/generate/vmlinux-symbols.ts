/**
 * vmlinux's symbols in kallsyms order, from a vmlinux ELF (with .symtab) or
 * from a System.map. Both go through the same filter and tie order
 * (kallsyms-rules.ts) so the result lists what /proc/kallsyms lists, in its
 * order.
 */
import { SymbolMapError, SymbolSourceError } from '../errors.js';
import { type OrderableSymbol, compareKallsymsOrder, kallsymsDrops } from '../kallsyms-rules.js';
import type { ElfSymbols } from './elf-symbols.js';
import type { MapObject, MapSymbol } from './model.js';
import { isPlaceholderSystemMapText } from '../system-map.js';
import { parseSimpleSystemMap } from './system-map-lines.js';

interface Candidate extends OrderableSymbol {
  seq: number;
  file?: string;
}

/** Without CONFIG_KALLSYMS_ALL kallsyms keeps only symbols inside the text and init-text ranges. */
function textRangeFilter(cands: Candidate[]): (c: Candidate) => boolean {
  const addr = (name: string) => cands.find((c) => c.name === name)?.address;
  const ranges = [
    ['_stext', '_etext'],
    ['_sinittext', '_einittext'],
  ]
    .map(([s, e]) => [addr(s!), addr(e!), e!] as const)
    .filter((r): r is readonly [bigint, bigint, string] => r[0] !== undefined && r[1] !== undefined);
  if (ranges.length === 0) {
    throw new SymbolSourceError(
      'without CONFIG_KALLSYMS_ALL vmlinux symbols are limited to _stext.._etext, ' +
        'but this vmlinux has no _stext/_etext',
    );
  }
  return (c) =>
    ranges.some(([s, e, endName]) => c.address >= s && c.address <= e && !(c.address === e && c.name !== endName));
}

function toObject(cands: Candidate[], kallsymsAll: boolean): MapObject {
  let kept = cands.filter((c) => !kallsymsDrops(c.name, c.kind));
  if (!kallsymsAll) kept = kept.filter(textRangeFilter(kept));
  kept.sort((a, b) => compareKallsymsOrder(a, b, a.seq - b.seq));
  const symbols = kept.map((c): MapSymbol => {
    const symbol: MapSymbol = { name: c.name, kind: c.kind };
    if (c.file !== undefined) symbol.file = c.file;
    return symbol;
  });
  return { name: 'vmlinux', symbols, loadView: false };
}

export function vmlinuxFromElf(elf: ElfSymbols, fileName: string, kallsymsAll = true): MapObject {
  if (!elf.hasSymtab || elf.symbols.length === 0) {
    throw new SymbolSourceError(
      `${fileName}: no symbol table (a stripped vmlinux); use the unstripped/debug vmlinux or its System.map`,
    );
  }
  const cands: Candidate[] = elf.symbols.map((s, seq) => {
    const c: Candidate = { name: s.name, kind: s.kind, address: s.value, seq };
    if (s.file !== undefined) c.file = s.file;
    return c;
  });
  return toObject(
    cands.filter((c) => c.name !== ''),
    kallsymsAll,
  );
}

/** vmlinux from System.map text (`<hex> <letter> <name>` lines). */
export function vmlinuxFromSystemMap(text: string, fileName: string, kallsymsAll = true): MapObject {
  if (isPlaceholderSystemMapText(text)) {
    throw new SymbolSourceError(
      `${fileName}: this is a placeholder System.map (${text.trim()}); install the -dbg package or pass --vmlinux`,
    );
  }
  const cands: Candidate[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') continue;
    const m = /^([0-9a-fA-F]+) (\S) (\S+)$/.exec(line);
    if (!m) {
      throw new SymbolMapError(fileName, i + 1, "expected '<hex address> <type letter> <name>' (a System.map line)");
    }
    cands.push({ name: m[3]!, kind: m[2]!, address: BigInt(`0x${m[1]}`), seq: i });
  }
  return toObject(cands, kallsymsAll);
}

/**
 * vmlinuxFromSystemMap from the file's bytes: the same object, without a
 * string, regex match and BigInt per line when every line is plain ASCII
 * (`parseSimpleSystemMap`); anything else is decoded and read by
 * vmlinuxFromSystemMap, which also names the problem of a bad line.
 */
export function vmlinuxFromSystemMapBytes(bytes: Buffer, fileName: string, kallsymsAll = true): MapObject {
  const lines = kallsymsAll ? parseSimpleSystemMap(bytes) : null;
  if (lines === null) return vmlinuxFromSystemMap(bytes.toString('utf8'), fileName, kallsymsAll);
  const { hi, lo, kinds, names } = lines;
  const kept: number[] = [];
  for (let i = 0; i < names.length; i++) if (!kallsymsDrops(names[i]!, kinds[i]!)) kept.push(i);
  // Addresses compare as two 32-bit halves; ties by kallsyms' rules, then line order (the indices).
  kept.sort(
    (a, b) =>
      hi[a]! - hi[b]! ||
      lo[a]! - lo[b]! ||
      compareKallsymsOrder(
        { name: names[a]!, kind: kinds[a]!, address: 0n },
        { name: names[b]!, kind: kinds[b]!, address: 0n },
        a - b,
      ),
  );
  const symbols = kept.map((i): MapSymbol => ({ name: names[i]!, kind: kinds[i]! }));
  return { name: 'vmlinux', symbols, loadView: false };
}
