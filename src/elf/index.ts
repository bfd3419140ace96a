/**
 * Our ELF layer: read, edit and write relocatable ELF (ELF32/ELF64, either
 * byte order). It knows nothing of livepatching: SHN_LIVEPATCH and
 * SHF_RELA_LIVEPATCH are just constants here.
 */
export * from './constants.js';
export { ElfFormatError, ElfModelError, type ElfLocation } from './errors.js';
export {
  ElfFile, ElfSymbol, Section, type EncodedRelocations, type Relocation, type OriginalPlacement,
} from './model.js';
export { parseElf, type ParseOptions } from './read.js';
export { writeElf } from './write.js';
export { finalizeLayout } from './finalize.js';
export { emitLayout, ElfWriterBug } from './emit.js';
export { StringTableBuilder } from './strtab.js';
export { relocationTypeName } from './reloc-names.js';
export {
  LAYOUT32, LAYOUT64, type ClassLayout, EI_CLASS, EI_DATA, SHDR_FIELD, SYM_FIELD, headerFieldOffset,
} from './layout.js';
