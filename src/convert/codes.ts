/**
 * Stable codes of klp-convert's diagnostics: one per kind of problem, so a
 * script, a CI log or a bug report can name it. The README's table is this
 * table; test/convert/codes.test.ts keeps the two in step and checks that
 * every code is used.
 */
export const DIAGNOSTIC_CODES = {
  KLP001: {
    meaning: "the input already breaks the kernel's rules for livepatch modules",
    action: 'rebuild the module; klp-convert cannot mend a malformed one',
  },
  KLP002: {
    meaning: 'the module has no symbol table',
    action: 'give the module as kbuild linked it, not a stripped copy',
  },
  KLP003: { meaning: ".modinfo has no 'livepatch=Y' (warning)", action: 'add MODULE_INFO(livepatch, "Y")' },
  KLP004: { meaning: 'an appended module signature was removed (warning)', action: 'sign the converted module again' },
  KLP010: {
    meaning: 'a .klp.module_relocs section is malformed (name, size)',
    action: 'use KLP_MODULE_RELOC/KLP_SYMPOS as documented',
  },
  KLP011: {
    meaning: 'an annotation relocation does not point at the start of an entry',
    action: 'rebuild; do not edit annotation sections by hand',
  },
  KLP012: {
    meaning: 'an annotation entry has no relocation naming its symbol',
    action: 'rebuild; do not edit annotation sections by hand',
  },
  KLP013: {
    meaning: 'an annotated symbol is defined in the livepatch itself',
    action: 'annotate only symbols of vmlinux or of other modules',
  },
  KLP014: { meaning: 'two annotations of one symbol disagree', action: 'keep one of them' },
  KLP015: {
    meaning: 'an annotation matches no relocation of the livepatch',
    action: 'remove the KLP_SYMPOS entry, or correct its name',
  },
  KLP016: { meaning: 'a relocation refers to annotation data and is dropped with it (warning)', action: 'none needed' },
  KLP017: {
    meaning: 'a .klp.sym.rela. asm label is malformed',
    action: 'use .klp.sym.rela.<patched object>.<symbol object>.<symbol>,<position>',
  },
  KLP018: { meaning: 'an annotation and the positions file disagree', action: 'keep one of the two' },
  KLP020: { meaning: 'the positions file names a symbol twice', action: 'keep one entry' },
  KLP021: {
    meaning: 'an object or symbol name breaks the kernel\'s limits (length, "." or ",")',
    action: 'rename, or give the position another way',
  },
  KLP022: {
    meaning: 'an annotation or positions entry names a symbol the maps do not have in that object',
    action: 'check the object and the name (the notes list the candidates)',
  },
  KLP023: {
    meaning: 'position 0 (the only one) for a name defined several times',
    action: 'give the 1-based position of the one meant',
  },
  KLP024: { meaning: 'a position beyond the number of definitions', action: 'give a position the notes list' },
  KLP025: {
    meaning: 'a module position shifts while the target module loads (init symbols)',
    action: 'rename the init symbol, or load the livepatch after the target',
  },
  KLP030: {
    meaning: 'a symbol is not exported and no map has it',
    action: 'pass the maps that know it; the notes list compiler clones and close names',
  },
  KLP031: {
    meaning: 'no definition matches the positions-file hint (file, type, object)',
    action: 'check the hint against the candidates in the notes',
  },
  KLP032: {
    meaning: 'a symbol is defined more than once and nothing says which',
    action: 'add the positions-file line or the KLP_SYMPOS the notes give',
  },
  KLP033: {
    meaning: 'a weak symbol is nowhere and stays undefined (warning)',
    action: 'none, if 0 is what the code expects',
  },
  KLP034: {
    meaning: 'no map or Module.symvers anywhere: unannotated symbols stay ordinary (warning)',
    action: 'pass --symbols/--symvers or --kdir to have them checked',
  },
  KLP040: {
    meaning: 'a vmlinux symbol in a module-specific klp relocation section',
    action: 'use .klp.sym.rela.vmlinux.vmlinux.<symbol>,<position>',
  },
  KLP041: {
    meaning: 'a klp relocation in an SHT_REL section (the kernel applies klp relocations only as RELA)',
    action: 'build the livepatch for an architecture that uses RELA',
  },
  KLP042: {
    meaning: 'a module symbol in a section the kernel processes at load (__jump_table, .altinstructions, ...)',
    action: 'the remedy in the notes',
  },
  KLP043: {
    meaning: 'a module symbol referenced from an init section',
    action: 'move the reference out of __init code',
  },
  KLP044: {
    meaning: 'an architecture rule of the module loader (ppc64: nop after a call, no sibling call)',
    action: 'the remedy in the notes',
  },
  KLP099: {
    meaning: 'internal error: the converted module breaks the kernel rules (exit status 4)',
    action: 'report a bug, with the module',
  },
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
