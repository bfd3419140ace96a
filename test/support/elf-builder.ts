/**
 * Builds relocatable ELF files in memory from a short description (sections,
 * symbols, relocations, .modinfo), so planner and applier tests can state the
 * one shape they are about without a cross compiler. The bytes are laid out
 * here with the field tables of the tests' own reader (elf-bytes.ts), not by
 * src/elf: a writer bug must not vouch for a parser bug. The description is
 * plain JSON (numbers, hex strings) so a golden case can keep it in a file.
 */
import {
  headerFields,
  recordSizes,
  sectionHeaderFields,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  symbolFields,
  writeUint,
} from './elf-bytes.js';

export interface MachineInfo {
  /** e_machine. */
  em: number;
  is64: boolean;
  littleEndian: boolean;
  /** Whether the toolchain writes SHT_RELA (else SHT_REL, as on i386). */
  rela: boolean;
  /** e_flags as the kernel's toolchain writes them (ppc64: the ELF ABI version). */
  flags: number;
}

export const MACHINES = {
  x86_64: { em: 62, is64: true, littleEndian: true, rela: true, flags: 0 },
  ppc64le: { em: 21, is64: true, littleEndian: true, rela: true, flags: 2 },
  ppc64: { em: 21, is64: true, littleEndian: false, rela: true, flags: 1 },
  s390x: { em: 22, is64: true, littleEndian: false, rela: true, flags: 0 },
  aarch64: { em: 183, is64: true, littleEndian: true, rela: true, flags: 0 },
  i386: { em: 3, is64: false, littleEndian: true, rela: false, flags: 0 },
  ppc32: { em: 20, is64: false, littleEndian: false, rela: true, flags: 0 },
} as const satisfies Record<string, MachineInfo>;

export type Machine = keyof typeof MACHINES;

export interface SectionSpec {
  name: string;
  /** sh_type (default SHT_PROGBITS). */
  type?: number;
  /** Flag letters as readelf prints them: a(lloc) w(rite) x(ecute); default from the name. */
  flags?: string;
  /** Contents as hex ("60000000"), bytes, or a length of zeros. */
  data?: string | number[] | Uint8Array | number;
  /** sh_addralign (default 4, 8 for data on ELF64). */
  align?: number;
}

export interface SymbolSpec {
  name: string;
  /** Defining section; none: undefined (SHN_UNDEF). */
  section?: string;
  value?: number;
  size?: number;
  /** Default global. */
  bind?: 'local' | 'global' | 'weak';
  /** Default func in an executable section, object in another, notype when undefined. */
  type?: 'notype' | 'object' | 'func';
}

export interface RelocationSpec {
  /** The section the relocation patches (its .rela/.rel section is made for it). */
  section: string;
  offset: number;
  /** The machine's relocation type number. */
  type: number;
  symbol: string;
  addend?: number;
}

export interface ModuleSpec {
  machine: Machine;
  sections?: SectionSpec[];
  symbols?: SymbolSpec[];
  relocations?: RelocationSpec[];
  /** .modinfo strings; default ['livepatch=Y'], [] for no .modinfo section. */
  modinfo?: string[];
}

const SHT_PROGBITS = 1;
const FLAG_BITS: Record<string, bigint> = { w: 0x1n, a: 0x2n, x: 0x4n };
const SHF_INFO_LINK = 0x40n;
const STB = { local: 0, global: 1, weak: 2 } as const;
const STT = { notype: 0, object: 1, func: 2 } as const;

/** One section as it will be written: contents and header fields. */
interface Laid {
  name: string;
  type: number;
  flags: bigint;
  data: Uint8Array;
  align: number;
  link: number;
  info: number;
  entsize: number;
}

function bytesOf(data: SectionSpec['data']): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (typeof data === 'number') return new Uint8Array(data);
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data.replace(/\s+/g, ''), 'hex'));
  return Uint8Array.from(data);
}

function defaultFlags(name: string): string {
  if (name.startsWith('.text') || name.startsWith('.init.text')) return 'ax';
  if (name.startsWith('.data') || name.startsWith('.bss')) return 'wa';
  return 'a';
}

function flagBits(letters: string): bigint {
  let v = 0n;
  for (const c of letters) {
    const bit = FLAG_BITS[c];
    if (bit === undefined) throw new Error(`unknown section flag letter '${c}'`);
    v |= bit;
  }
  return v;
}

/** A string table: names in order of first use, offset 0 is the empty name. */
class StringTable {
  private readonly parts: string[] = [''];
  private readonly at = new Map<string, number>([['', 0]]);
  private size = 1;

  offset(s: string): number {
    let o = this.at.get(s);
    if (o === undefined) {
      o = this.size;
      this.at.set(s, o);
      this.parts.push(s);
      this.size += Buffer.byteLength(s, 'latin1') + 1;
    }
    return o;
  }

  bytes(): Uint8Array {
    return new Uint8Array(Buffer.from(this.parts.map((p) => `${p}\0`).join(''), 'latin1'));
  }
}

function align(n: number, a: number): number {
  return a > 1 ? Math.ceil(n / a) * a : n;
}

/** The ELF bytes of `spec`: a relocatable file the kernel's toolchain could have written. */
export function buildElf(spec: ModuleSpec): Uint8Array {
  const m: MachineInfo = MACHINES[spec.machine];
  const sizes = recordSizes(m.is64);
  const w = m.is64 ? 8 : 4;
  const le = m.littleEndian;

  // Section 0, the described sections, .modinfo, then one relocation section per patched section.
  const plain = { flags: 0n, data: new Uint8Array(0), link: 0, info: 0, entsize: 0 };
  const laid: Laid[] = [{ ...plain, name: '', type: 0, align: 0 }];
  const user = [...(spec.sections ?? [])];
  const modinfo = spec.modinfo ?? ['livepatch=Y'];
  if (modinfo.length > 0) {
    const strings = Buffer.from(modinfo.map((s) => `${s}\0`).join(''), 'latin1');
    user.push({ name: '.modinfo', flags: 'a', align: 1, data: new Uint8Array(strings) });
  }
  for (const s of user) {
    laid.push({
      name: s.name,
      type: s.type ?? SHT_PROGBITS,
      flags: flagBits(s.flags ?? defaultFlags(s.name)),
      data: bytesOf(s.data),
      align: s.align ?? (s.name.startsWith('.text') ? 4 : w),
      link: 0,
      info: 0,
      entsize: 0,
    });
  }
  const indexOf = (name: string): number => {
    const i = laid.findIndex((s, k) => k > 0 && s.name === name);
    if (i < 0) throw new Error(`module spec: no section '${name}'`);
    return i;
  };

  // Symbols: null, locals, then the rest (sh_info of .symtab is the first non-local).
  const strtab = new StringTable();
  const specs = spec.symbols ?? [];
  const ordered = [...specs.filter((s) => s.bind === 'local'), ...specs.filter((s) => s.bind !== 'local')];
  const firstGlobal = 1 + specs.filter((s) => s.bind === 'local').length;
  const symIndex = new Map<string, number>();
  const symtab = new Uint8Array((ordered.length + 1) * sizes.sym);
  const st = symbolFields(m.is64);
  ordered.forEach((s, k) => {
    const at = (k + 1) * sizes.sym;
    const shndx = s.section === undefined ? 0 : indexOf(s.section);
    const executable = shndx > 0 && (laid[shndx]!.flags & FLAG_BITS.x!) !== 0n;
    const type = s.type ?? (shndx === 0 ? 'notype' : executable ? 'func' : 'object');
    if (!symIndex.has(s.name)) symIndex.set(s.name, k + 1);
    writeUint(symtab, at + st.name, 4, le, strtab.offset(s.name));
    writeUint(symtab, at + st.info, 1, le, (STB[s.bind ?? 'global'] << 4) | STT[type]);
    writeUint(symtab, at + st.shndx, 2, le, shndx);
    writeUint(symtab, at + st.value, w, le, s.value ?? 0);
    writeUint(symtab, at + st.size, w, le, s.size ?? 0);
  });

  // Relocation sections, in the order of the sections they patch.
  const symtabIndex = laid.length + new Set((spec.relocations ?? []).map((r) => r.section)).size;
  const targets = [...new Set((spec.relocations ?? []).map((r) => r.section))].sort((a, b) => indexOf(a) - indexOf(b));
  const entSize = m.rela ? sizes.rela : sizes.rel;
  for (const target of targets) {
    const relocs = (spec.relocations ?? []).filter((r) => r.section === target);
    const data = new Uint8Array(relocs.length * entSize);
    relocs.forEach((r, k) => {
      const sym = symIndex.get(r.symbol);
      if (sym === undefined) throw new Error(`module spec: relocation to unknown symbol '${r.symbol}'`);
      const at = k * entSize;
      const info = m.is64 ? (BigInt(sym) << 32n) | BigInt(r.type) : BigInt((sym << 8) | r.type);
      writeUint(data, at, w, le, r.offset);
      writeUint(data, at + w, w, le, info);
      if (m.rela) writeUint(data, at + 2 * w, w, le, BigInt.asUintN(w * 8, BigInt(r.addend ?? 0)));
      else if (r.addend) throw new Error(`module spec: ${spec.machine} uses SHT_REL, which has no addend field`);
    });
    laid.push({
      name: `${m.rela ? '.rela' : '.rel'}${target}`,
      type: m.rela ? SHT_RELA : SHT_REL,
      flags: SHF_INFO_LINK,
      data,
      align: w,
      link: symtabIndex,
      info: indexOf(target),
      entsize: entSize,
    });
  }
  const strtabIndex = symtabIndex + 1;
  const symtabHeader = { link: strtabIndex, info: firstGlobal, entsize: sizes.sym };
  laid.push({ ...plain, ...symtabHeader, name: '.symtab', type: SHT_SYMTAB, data: symtab, align: w });
  laid.push({ ...plain, name: '.strtab', type: SHT_STRTAB, data: strtab.bytes(), align: 1 });
  const shstrtab = new StringTable();
  laid.push({ ...plain, name: '.shstrtab', type: SHT_STRTAB, align: 1 });
  const names = laid.map((s) => shstrtab.offset(s.name));
  laid[laid.length - 1]!.data = shstrtab.bytes();

  // File: header, contents (each aligned), section headers.
  const offsets: number[] = [0];
  let end = sizes.ehdr;
  for (let i = 1; i < laid.length; i++) {
    end = align(end, laid[i]!.align);
    offsets.push(end);
    end += laid[i]!.data.length;
  }
  const shoff = align(end, w);
  const out = new Uint8Array(shoff + laid.length * sizes.shdr);
  laid.forEach((s, i) => out.set(s.data, offsets[i]!));

  out.set([0x7f, 0x45, 0x4c, 0x46, m.is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  const eh = headerFields(m.is64);
  writeUint(out, eh.type, 2, le, 1); // ET_REL
  writeUint(out, eh.machine, 2, le, m.em);
  writeUint(out, eh.version, 4, le, 1);
  writeUint(out, eh.shoff, w, le, shoff);
  writeUint(out, eh.flags, 4, le, m.flags);
  writeUint(out, eh.ehsize, 2, le, sizes.ehdr);
  writeUint(out, eh.shentsize, 2, le, sizes.shdr);
  writeUint(out, eh.shnum, 2, le, laid.length);
  writeUint(out, eh.shstrndx, 2, le, laid.length - 1);

  const sh = sectionHeaderFields(m.is64);
  laid.forEach((s, i) => {
    if (i === 0) return;
    const at = shoff + i * sizes.shdr;
    writeUint(out, at + sh.name, 4, le, names[i]!);
    writeUint(out, at + sh.type, 4, le, s.type);
    writeUint(out, at + sh.flags, w, le, s.flags);
    writeUint(out, at + sh.offset, w, le, offsets[i]!);
    writeUint(out, at + sh.size, w, le, s.data.length);
    writeUint(out, at + sh.link, 4, le, s.link);
    writeUint(out, at + sh.info, 4, le, s.info);
    writeUint(out, at + sh.addralign, w, le, s.align);
    writeUint(out, at + sh.entsize, w, le, s.entsize);
  });
  return out;
}
