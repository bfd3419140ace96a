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

export function classBySection(section: { name: string; type: number; flags: bigint }): string {
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
  return nmKindFromClass(sym.bind, sym.type, sym.shndx, sym.section === null ? null : classBySection(sym.section));
}

/**
 * nmKind with the defining section's class already known (`sectionClass` is
 * classBySection's letter, null when st_shndx is special): readers that walk a
 * whole symbol table compute the class once per section, not once per symbol.
 */
export function nmKindFromClass(bind: number, type: number, shndx: number, sectionClass: string | null): string {
  if (sectionClass === null && shndx === SHN.COMMON) return 'C';
  if (sectionClass === null && shndx === SHN.UNDEF) {
    if (bind === STB.WEAK) return type === STT.OBJECT ? 'v' : 'w';
    return 'U';
  }
  if (type === STT.GNU_IFUNC) return 'i';
  if (bind === STB.WEAK) return type === STT.OBJECT ? 'V' : 'W';
  if (bind === STB.GNU_UNIQUE) return 'u';
  let letter: string;
  if (sectionClass === null) letter = shndx === SHN.ABS ? 'a' : '?';
  else letter = sectionClass;
  return bind === STB.GLOBAL ? letter.toUpperCase() : letter;
}
