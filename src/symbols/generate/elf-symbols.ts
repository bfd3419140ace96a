/**
 * The only file of the map generator that touches the ELF layer: it flattens
 * a parsed vmlinux or module into the symbol facts the generator needs
 * (symtab order, nm letter, section, STT_FILE scope) plus `.modinfo` strings.
 */
import { type ElfFile, STB, STT, parseElf } from '../../elf/index.js';
import { nmKind } from './nm-kind.js';

export interface ElfSymbolRecord {
  name: string;
  kind: string;
  value: bigint;
  bind: number;
  /** The defining section, null for undefined, absolute and common symbols. */
  section: { name: string; type: number; flags: bigint } | null;
  /** st_shndx when `section` is null (SHN_UNDEF, SHN_ABS, SHN_COMMON, ...). */
  special: number;
  /** Source file from the closest preceding STT_FILE, for local symbols. */
  file?: string;
}

export interface ElfSymbols {
  /** Symbols in .symtab order, without the null entry, STT_SECTION and STT_FILE entries. */
  symbols: ElfSymbolRecord[];
  /** `.modinfo` key=value strings (modules), in file order. */
  modinfo: string[];
  hasSymtab: boolean;
}

/** The key=value strings of a `.modinfo` section's contents. */
export function modinfoStringsOf(data: Uint8Array): string[] {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    .toString('utf8')
    .split('\0')
    .filter((s) => s.length > 0);
}

function modinfoStrings(elf: ElfFile): string[] {
  const sec = elf.sections.find((s) => s.name === '.modinfo');
  return sec ? modinfoStringsOf(sec.data) : [];
}

export function readElfSymbols(bytes: Uint8Array, fileName: string): ElfSymbols {
  // Symbols only: skipping relocation decoding is most of the cost on a whole kernel.
  const elf = parseElf(bytes, fileName, { relocations: false });
  const symbols: ElfSymbolRecord[] = [];
  let file: string | undefined;
  for (const sym of elf.symbols) {
    if (sym.index === 0) continue;
    if (sym.type === STT.FILE) {
      file = sym.name === '' ? undefined : sym.name;
      continue;
    }
    if (sym.type === STT.SECTION) continue;
    const section = sym.section ? { name: sym.section.name, type: sym.section.type, flags: sym.section.flags } : null;
    const special = sym.section ? 0 : sym.special;
    const record: ElfSymbolRecord = {
      name: sym.name,
      kind: nmKind({ bind: sym.bind, type: sym.type, shndx: special, section }),
      value: sym.value,
      bind: sym.bind,
      section,
      special,
    };
    if (sym.bind === STB.LOCAL && file !== undefined) record.file = file;
    symbols.push(record);
  }
  return { symbols, modinfo: modinfoStrings(elf), hasSymtab: elf.symtab !== null };
}

