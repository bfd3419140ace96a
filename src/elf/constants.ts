/**
 * ELF constants, spelled as the gABI and <elf.h> spell them, plus the two
 * livepatch values the kernel defines in include/uapi/linux/elf.h.
 */

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;
export const ET_REL = 1;

export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  SHLIB: 10,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  PREINIT_ARRAY: 16,
  GROUP: 17,
  SYMTAB_SHNDX: 18,
  GNU_HASH: 0x6ffffff6,
  GNU_VERDEF: 0x6ffffffd,
  GNU_VERNEED: 0x6ffffffe,
  GNU_VERSYM: 0x6fffffff,
} as const;

export const SHF = {
  WRITE: 0x1n,
  ALLOC: 0x2n,
  EXECINSTR: 0x4n,
  MERGE: 0x10n,
  STRINGS: 0x20n,
  INFO_LINK: 0x40n,
  LINK_ORDER: 0x80n,
  OS_NONCONFORMING: 0x100n,
  GROUP: 0x200n,
  TLS: 0x400n,
  COMPRESSED: 0x800n,
  /** Linux: relocation section the livepatch core applies itself. */
  RELA_LIVEPATCH: 0x00100000n,
  /** Linux: data made read-only after init. */
  RO_AFTER_INIT: 0x00200000n,
} as const;

export const SHN = {
  UNDEF: 0,
  LORESERVE: 0xff00,
  /** Linux: symbol resolved by the livepatch core (SHN_LOOS). */
  LIVEPATCH: 0xff20,
  ABS: 0xfff1,
  COMMON: 0xfff2,
  XINDEX: 0xffff,
} as const;

export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2, GNU_UNIQUE: 10 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, COMMON: 5, TLS: 6, GNU_IFUNC: 10 } as const;

export const GRP_COMDAT = 1;

export const EM = {
  I386: 3,
  PPC: 20,
  PPC64: 21,
  S390: 22,
  ARM: 40,
  X86_64: 62,
  AARCH64: 183,
  RISCV: 243,
  LOONGARCH: 258,
} as const;

/** Section types whose sh_link names another section (gABI "sh_link and sh_info Interpretation"). */
export const LINK_IS_SECTION: ReadonlySet<number> = new Set([
  SHT.REL, SHT.RELA, SHT.SYMTAB, SHT.DYNSYM, SHT.GROUP, SHT.SYMTAB_SHNDX, SHT.HASH, SHT.GNU_HASH,
  SHT.DYNAMIC, SHT.GNU_VERDEF, SHT.GNU_VERNEED, SHT.GNU_VERSYM,
]);

const shtNames = new Map<number, string>(Object.entries(SHT).map(([k, v]) => [v, k]));
const machineNames = new Map<number, string>(Object.entries(EM).map(([k, v]) => [v, k.toLowerCase()]));

/** Printable section type: the gABI name, or hex for unknown values. */
export function sectionTypeName(type: number): string {
  return shtNames.get(type) ?? `0x${type.toString(16)}`;
}

/** Printable machine name, or hex for unknown values. */
export function machineName(machine: number): string {
  return machineNames.get(machine) ?? `0x${machine.toString(16)}`;
}
