/**
 * The one-letter symbol class `nm` prints, computed from ELF data, so maps
 * generated from ELF read exactly like the `nm`-based maps and /proc/kallsyms.
 *
 * Rules as binutils applies them to ELF (checked against `nm` on fixtures and
 * on every module of a Debian kernel, see test/symbols): section flags decide
 * first (code, read-only or writable data, bss, debug, other read-only), the
 * section name only when flags say nothing; binding turns the letter upper
 * case for globals; weak and undefined symbols have their own letters.
 */
import { SHF, SHN, SHT, STB, STT } from '../../elf/index.js';

/** The parts of a symbol the letter depends on; `section` null means st_shndx is special (`shndx`). */
export interface KindInput {
  bind: number;
  type: number;
  shndx: number;
  section: { name: string; type: number; flags: bigint } | null;
}

const DEBUG_PREFIXES = ['.debug', '.zdebug', '.stab', '.line', '.gnu.linkonce.wi.', '.gnu.debuglto_'];
/** Name-based fallback for sections whose flags say nothing (prefix, followed by end, '.', '$' or a digit). */
const NAME_CLASSES: readonly (readonly [string, string])[] = [
  ['.bss', 'b'],
  ['.data', 'd'],
  ['.fini', 't'],
  ['.init', 't'],
  ['.rodata', 'r'],
  ['.sbss', 's'],
  ['.sdata', 'g'],
  ['.text', 't'],
];

function classByName(name: string): string {
  for (const [prefix, letter] of NAME_CLASSES) {
    if (name.startsWith(prefix)) {
      const next = name.charAt(prefix.length);
      if (next === '' || next === '.' || next === '$' || (next >= '0' && next <= '9')) return letter;
    }
  }
  return '?';
}

function classBySection(section: { name: string; type: number; flags: bigint }): string {
  const { flags } = section;
  const hasContents = section.type !== SHT.NOBITS;
  if ((flags & SHF.EXECINSTR) !== 0n) return 't';
  if ((flags & SHF.ALLOC) !== 0n && hasContents) return (flags & SHF.WRITE) === 0n ? 'r' : 'd';
  if (!hasContents) return 'b';
  if (DEBUG_PREFIXES.some((p) => section.name.startsWith(p))) return 'N';
  if ((flags & SHF.WRITE) === 0n) return 'n';
  return classByName(section.name);
}

export function nmKind(sym: KindInput): string {
  if (sym.section === null && sym.shndx === SHN.COMMON) return 'C';
  if (sym.section === null && sym.shndx === SHN.UNDEF) {
    if (sym.bind === STB.WEAK) return sym.type === STT.OBJECT ? 'v' : 'w';
    return 'U';
  }
  if (sym.type === STT.GNU_IFUNC) return 'i';
  if (sym.bind === STB.WEAK) return sym.type === STT.OBJECT ? 'V' : 'W';
  if (sym.bind === STB.GNU_UNIQUE) return 'u';
  let letter: string;
  if (sym.section === null) letter = sym.shndx === SHN.ABS ? 'a' : '?';
  else letter = classBySection(sym.section);
  return sym.bind === STB.GLOBAL ? letter.toUpperCase() : letter;
}
