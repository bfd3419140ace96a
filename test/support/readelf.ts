/**
 * GNU readelf as a test oracle: runs `readelf -W` on a file and parses what it
 * prints into plain objects (header, sections, symbols, relocations, groups),
 * or returns the text with file offsets masked for golden comparisons.
 *
 * readelf does not use BFD, so the plain Debian `readelf` decodes every
 * architecture we build fixtures for (binutils-multiarch installs the same
 * program); a missing readelf fails loudly with an install hint, never skips.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const READELF = process.env.KLPT_READELF ?? 'readelf';

export class ReadelfError extends Error {
  override name = 'ReadelfError';
}

export interface ReadelfRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs readelf with `args` (after -W) on `file`; throws ReadelfError only when readelf cannot run. */
export async function runReadelf(file: string, args: readonly string[]): Promise<ReadelfRun> {
  try {
    const { stdout, stderr } = await execFileP(READELF, ['-W', ...args, file], {
      maxBuffer: 1 << 30,
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
    });
    return { stdout, stderr, exitCode: 0 };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: string | number };
    if (e.code === 'ENOENT') {
      throw new ReadelfError(
        `'${READELF}' not found: run test/support/install-deps.sh (as root) to install binutils and binutils-multiarch`,
      );
    }
    if (typeof e.code === 'number' && e.stdout !== undefined) {
      return { stdout: e.stdout, stderr: e.stderr ?? '', exitCode: e.code };
    }
    throw new ReadelfError(`running ${READELF} on ${file}: ${e.message}`);
  }
}

/** readelf's warning and error lines ("readelf: Warning: ...", "readelf: Error: ..."). */
export function diagnostics(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export interface TextOptions {
  /** Replace file offsets (section Off column, "at offset 0x..", e_shoff) with a fixed token. */
  normalizeOffsets?: boolean;
}

/**
 * readelf's text output for golden files. With normalizeOffsets, values that
 * only say where things sit in the file are masked, so a layout change does
 * not churn every golden file.
 */
export async function readelfText(file: string, args: readonly string[], opts: TextOptions = {}): Promise<string> {
  const r = await runReadelf(file, args);
  if (r.exitCode !== 0 || r.stderr.trim() !== '') {
    throw new ReadelfError(`readelf ${args.join(' ')} ${file} exited ${r.exitCode}:\n${r.stderr}`);
  }
  let text = r.stdout.replaceAll(file, '<file>');
  if (opts.normalizeOffsets) text = normalizeOffsets(text);
  return text;
}

/** Masks file offsets in readelf -h/-S/-r/-s output; see TextOptions. */
export function normalizeOffsets(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      // Section table row: [Nr] Name Type Address Off Size ES ...
      const m = /^(\s*\[\s*\d+\]\s.*?\s)([0-9a-f]{8}|[0-9a-f]{16}) ([0-9a-f]{6,}) ([0-9a-f]{6,}) /.exec(line);
      if (m && !line.includes('Name') ) {
        const off = m[3]!;
        return line.replace(`${m[2]} ${off} `, `${m[2]} ${'X'.repeat(off.length)} `);
      }
      return line
        .replace(/ at offset 0x[0-9a-f]+ /, ' at offset 0xX ')
        .replace(/(Start of section headers:\s+)\d+/, '$1X')
        .replace(/(There are \d+ section headers, starting at offset )0x[0-9a-f]+/, '$10xX');
    })
    .join('\n');
}

// ---------------------------------------------------------------------------
// Parsed view

export interface ReHeader {
  /** The 16 e_ident bytes from the "Magic:" line. */
  ident: number[];
  elfClass: 32 | 64;
  littleEndian: boolean;
  /** The "Type:" text, e.g. "REL (Relocatable file)". */
  type: string;
  /** The "Machine:" text, e.g. "Advanced Micro Devices X86-64". */
  machine: string;
  version: number;
  entry: bigint;
  phoff: bigint;
  shoff: bigint;
  flags: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  /** e_shnum as stored (0 when the count is in section 0's sh_size). */
  shnumRaw: number;
  /** Real section count. */
  shnum: number;
  /** e_shstrndx as stored (0xffff = SHN_XINDEX escape). */
  shstrndxRaw: number;
  shstrndx: number;
  /** Every "Key: value" line verbatim. */
  fields: Record<string, string>;
}

export interface ReSection {
  index: number;
  name: string;
  /** readelf's type name: PROGBITS, RELA, SYMTAB SECTION INDICES, LOOS+0x..., ... */
  typeName: string;
  addr: bigint;
  offset: number;
  size: bigint;
  entsize: bigint;
  link: number;
  info: number;
  addralign: bigint;
  flags: bigint;
}

export interface ReSymbol {
  index: number;
  value: bigint;
  size: bigint;
  /** NOTYPE, OBJECT, FUNC, SECTION, FILE, ... or "<OS specific>: 10" style. */
  typeName: string;
  bindName: string;
  visibility: string;
  /** Text readelf adds after the visibility, e.g. "[<localentry>: 8]". */
  otherNote: string | null;
  /** Section index (XINDEX already resolved by readelf) or the reserved value. */
  shndx: number;
  /** Whether readelf printed a reserved value (UND, ABS, COM, OS [..], ...) rather than an index. */
  reserved: boolean;
  /** readelf prints the section name for unnamed STT_SECTION symbols. */
  name: string;
}

export interface ReRelocation {
  offset: bigint;
  info: bigint;
  symIndex: number;
  type: number;
  typeName: string;
  /** Name readelf shows for the symbol ('' when the index is 0). */
  symName: string;
  /** null for REL. */
  addend: bigint | null;
}

export interface ReRelocSection {
  name: string;
  fileOffset: number;
  entries: ReRelocation[];
}

export interface ReGroup {
  index: number;
  name: string;
  signature: string;
  comdat: boolean;
  members: { index: number; name: string }[];
}

export interface ReadelfView {
  header: ReHeader;
  sections: ReSection[];
  symbols: ReSymbol[];
  relocations: ReRelocSection[];
  groups: ReGroup[];
  /** stderr lines (warnings/errors); empty for a well-formed file. */
  diagnostics: string[];
  exitCode: number;
}

const RESERVED_SHNDX: Record<string, number> = { UND: 0, ABS: 0xfff1, COM: 0xfff2, LARGE_COM: 0xff02 };

/**
 * Runs `readelf -W [-L] -h -t -s -r -g` and parses everything. Throws ReadelfError
 * when output cannot be parsed (so a change in readelf's format shows up as a
 * loud failure, not as an empty list).
 */
export async function readelfView(file: string, opts: { lint?: boolean } = {}): Promise<ReadelfView> {
  // --lint (-L) makes readelf report suspicious but parseable structures too.
  const r = await runReadelf(file, [...(opts.lint ? ['-L'] : []), '-h', '-t', '-s', '-r', '-g']);
  const lines = r.stdout.split('\n');
  const view: ReadelfView = {
    header: parseHeader(lines, file),
    sections: [],
    symbols: [],
    relocations: [],
    groups: [],
    diagnostics: diagnostics(r.stderr),
    exitCode: r.exitCode,
  };
  const is64 = view.header.elfClass === 64;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('Section Headers:')) i = parseSections(lines, i + 1, view.sections, file);
    else if (/^Symbol table '(.*)' contains \d+ entr/.test(line)) {
      const m = /^Symbol table '(.*)' contains (\d+) entr/.exec(line)!;
      const syms: ReSymbol[] = [];
      i = parseSymbols(lines, i + 1, syms, file);
      if (syms.length !== Number(m[2]))
        throw new ReadelfError(`${file}: symbol table '${m[1]}': parsed ${syms.length} of ${m[2]} symbols`);
      if (m[1] === '.symtab') view.symbols = syms;
    } else if (/^Relocation section '/.test(line)) {
      const m = /^Relocation section '(.*)' at offset 0x([0-9a-f]+) contains (\d+) entr/.exec(line);
      if (!m) throw new ReadelfError(`${file}: cannot parse '${line}'`);
      const rs: ReRelocSection = { name: m[1]!, fileOffset: parseInt(m[2]!, 16), entries: [] };
      i = parseRelocations(lines, i + 1, rs, is64, file);
      if (rs.entries.length !== Number(m[3]))
        throw new ReadelfError(`${file}: '${rs.name}': parsed ${rs.entries.length} of ${m[3]} relocations`);
      view.relocations.push(rs);
    } else if (/^(COMDAT )?group section \[/.test(line)) {
      i = parseGroup(lines, i, view.groups, file);
    } else i++;
  }
  if (view.sections.length !== view.header.shnum) {
    throw new ReadelfError(
      `${file}: parsed ${view.sections.length} section headers, the header says ${view.header.shnum}`,
    );
  }
  return view;
}

function parseHeader(lines: string[], file: string): ReHeader {
  const fields: Record<string, string> = {};
  let ident: number[] = [];
  for (const line of lines) {
    if (line.startsWith('Section Headers:') || line.startsWith('Symbol table')) break;
    const magic = /^\s+Magic:\s+((?:[0-9a-f]{2} ?){16})/.exec(line);
    if (magic) {
      ident = magic[1]!.trim().split(/\s+/).map((b) => parseInt(b, 16));
      continue;
    }
    const kv = /^\s+([^:]+):\s+(.*)$/.exec(line);
    if (kv) fields[kv[1]!.trim()] = kv[2]!.trim();
  }
  const need = (k: string): string => {
    const v = fields[k];
    if (v === undefined) throw new ReadelfError(`${file}: readelf -h printed no '${k}'`);
    return v;
  };
  const firstNum = (k: string): number => parseInt(need(k), need(k).startsWith('0x') ? 16 : 10);
  // "Number of section headers: 0 (65309)" and "... index: 65535 (65308)" show escapes.
  const withEscape = (k: string): [number, number] => {
    const m = /^(\d+)(?: \((\d+)\))?/.exec(need(k));
    if (!m) throw new ReadelfError(`${file}: cannot parse '${k}: ${need(k)}'`);
    return [Number(m[1]), Number(m[2] ?? m[1])];
  };
  if (ident.length !== 16) throw new ReadelfError(`${file}: readelf -h printed no Magic line`);
  const [shnumRaw, shnum] = withEscape('Number of section headers');
  const [shstrndxRaw, shstrndx] = withEscape('Section header string table index');
  const flagsText = need('Flags');
  return {
    ident,
    elfClass: need('Class') === 'ELF64' ? 64 : 32,
    littleEndian: need('Data').includes('little endian'),
    type: need('Type'),
    machine: need('Machine'),
    version: parseInt(need('Version').replace(/^.*?(0x[0-9a-f]+)$/, '$1'), 16),
    entry: BigInt(need('Entry point address')),
    phoff: BigInt(need('Start of program headers').split(' ')[0]!),
    shoff: BigInt(need('Start of section headers').split(' ')[0]!),
    flags: parseInt(flagsText.split(',')[0]!, 16),
    ehsize: firstNum('Size of this header'),
    phentsize: firstNum('Size of program headers'),
    phnum: firstNum('Number of program headers'),
    shentsize: firstNum('Size of section headers'),
    shnumRaw,
    shnum,
    shstrndxRaw,
    shstrndx,
    fields,
  };
}

/** Parses `readelf -t` (section details: name line, type line, flags line). */
function parseSections(lines: string[], i: number, out: ReSection[], file: string): number {
  // Skip the three caption lines.
  while (i < lines.length && !/^\s+\[\s*\d+\]/.test(lines[i]!)) {
    if (lines[i]!.trim() === '' ) return i;
    i++;
  }
  while (i < lines.length) {
    const nameLine = /^\s+\[\s*(\d+)\] (.*)$/.exec(lines[i]!);
    if (!nameLine) break;
    const typeLine = lines[i + 1] ?? '';
    const flagsLine = lines[i + 2] ?? '';
    const t = typeLine.trim().split(/\s+/);
    if (t.length < 8) throw new ReadelfError(`${file}: cannot parse section type line '${typeLine}'`);
    const [addr, off, size, es, lk, inf, al] = t.slice(-7) as [string, string, string, string, string, string, string];
    const fl = /^\s+\[([0-9a-f]+)\]/.exec(flagsLine);
    if (!fl) throw new ReadelfError(`${file}: cannot parse section flags line '${flagsLine}'`);
    out.push({
      index: Number(nameLine[1]),
      name: nameLine[2]!,
      typeName: t.slice(0, -7).join(' '),
      addr: BigInt(`0x${addr}`),
      offset: parseInt(off, 16),
      size: BigInt(`0x${size}`),
      entsize: BigInt(`0x${es}`),
      link: Number(lk),
      info: Number(inf),
      addralign: BigInt(al),
      flags: BigInt(`0x${fl[1]}`),
    });
    i += 3;
  }
  return i;
}

const SYMBOL_LINE =
  /^\s*(\d+): ([0-9a-f]+)\s+(0x[0-9a-f]+|\d+) (<[^>]*>: [0-9a-f]+|\S+)\s+(<[^>]*>: [0-9a-f]+|\S+)\s+(\S+)(?: (\[[^\]]*\]))?\s+(UND|ABS|COM|LARGE_COM|OS \[0x[0-9a-f]+\]|PRC\[0x[0-9a-f]+\]|RSV\[0x[0-9a-f]+\]|\d+) ?(.*)$/;

function parseSymbols(lines: string[], i: number, out: ReSymbol[], file: string): number {
  if (/^\s+Num:/.test(lines[i] ?? '')) i++;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') break;
    const m = SYMBOL_LINE.exec(line);
    if (!m) throw new ReadelfError(`${file}: cannot parse symbol line '${line}'`);
    const ndx = m[8]!;
    let shndx: number;
    if (ndx in RESERVED_SHNDX) shndx = RESERVED_SHNDX[ndx]!;
    else if (/^\d+$/.test(ndx)) shndx = Number(ndx);
    else shndx = parseInt(/0x([0-9a-f]+)/.exec(ndx)![1]!, 16);
    const size = m[3]!;
    out.push({
      index: Number(m[1]),
      value: BigInt(`0x${m[2]}`),
      size: BigInt(size),
      typeName: m[4]!,
      bindName: m[5]!,
      visibility: m[6]!,
      otherNote: m[7] ?? null,
      shndx,
      reserved: !/^\d+$/.test(ndx),
      name: m[9]!,
    });
  }
  return i;
}

function parseRelocations(lines: string[], i: number, rs: ReRelocSection, is64: boolean, file: string): number {
  // The caption says whether entries carry an addend: "... Symbol's Name + Addend".
  const caption = lines[i] ?? '';
  if (!/^\s*Offset\s+Info/.test(caption)) throw new ReadelfError(`${file}: no caption after relocation section '${rs.name}'`);
  const isRela = caption.includes('Addend');
  i++;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') break;
    const m = /^([0-9a-f]+)\s+([0-9a-f]+) (unrecognized: [0-9a-f]+|\S+)\s*(.*)$/.exec(line);
    if (!m) throw new ReadelfError(`${file}: cannot parse relocation line '${line}' in '${rs.name}'`);
    const info = BigInt(`0x${m[2]}`);
    const symIndex = is64 ? Number(info >> 32n) : Number(info >> 8n);
    const type = is64 ? Number(info & 0xffffffffn) : Number(info & 0xffn);
    const rest = m[4]!.trim();
    let symName = '';
    let addend: bigint | null = null;
    if (symIndex === 0) {
      // No symbol: RELA prints just the addend, as unsigned hex.
      if (isRela) {
        if (!/^[0-9a-f]+$/.test(rest)) throw new ReadelfError(`${file}: cannot parse addend '${rest}' in '${rs.name}'`);
        addend = BigInt.asIntN(64, BigInt(`0x${rest}`));
      }
    } else {
      const sm = /^([0-9a-f]+)\s*(.*?)(?: ([+-]) ([0-9a-f]+))?$/.exec(rest);
      if (!sm) throw new ReadelfError(`${file}: cannot parse relocation symbol part '${rest}' in '${rs.name}'`);
      symName = sm[2]!.trim();
      if (isRela) {
        if (sm[3] === undefined) throw new ReadelfError(`${file}: no addend in '${line}' in '${rs.name}'`);
        const v = BigInt(`0x${sm[4]}`);
        addend = sm[3] === '-' ? -v : v;
      }
    }
    rs.entries.push({ offset: BigInt(`0x${m[1]}`), info, symIndex, type, typeName: m[3]!, symName, addend });
  }
  return i;
}

function parseGroup(lines: string[], i: number, out: ReGroup[], file: string): number {
  const m = /^(COMDAT )?group section \[\s*(\d+)\] `(.*)' \[(.*)\] contains (\d+) sections?:/.exec(lines[i]!);
  if (!m) throw new ReadelfError(`${file}: cannot parse group line '${lines[i]}'`);
  const g: ReGroup = { index: Number(m[2]), name: m[3]!, signature: m[4]!, comdat: m[1] !== undefined, members: [] };
  i++;
  if (/^\s+\[Index\]/.test(lines[i] ?? '')) i++;
  for (; i < lines.length; i++) {
    const mm = /^\s+\[\s*(\d+)\]\s+(.*)$/.exec(lines[i]!);
    if (!mm) break;
    g.members.push({ index: Number(mm[1]), name: mm[2]! });
  }
  if (g.members.length !== Number(m[5]))
    throw new ReadelfError(`${file}: group '${g.name}': parsed ${g.members.length} of ${m[5]} members`);
  out.push(g);
  return i;
}

/** Section index → name, from a parsed view. */
export function sectionNameOf(view: ReadelfView, index: number): string | undefined {
  return view.sections[index]?.name;
}
