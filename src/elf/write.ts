import { emitLayout } from './emit.js';
import { finalizeLayout } from './finalize.js';
import type { ElfFile, ElfSymbol } from './model.js';

/**
 * Serialize the model: finalizeLayout decides the file (order, indices,
 * string tables, offsets, sizes; see its rules) without touching the model,
 * then emitLayout writes exactly that. Writing the same model twice gives the
 * same bytes, and the model can be edited and written again afterwards.
 */
export function writeElf(elf: ElfFile): Uint8Array {
  return emitLayout(finalizeLayout(elf));
}

export type { ElfSymbol };
