import { type ElfFile, type ElfSymbol, type Section, SHN, SHT } from '../elf/index.js';
import type { Annotation, AnnotationFormat } from './annotations.js';
import { type Diagnostics, hex } from './diagnostics.js';
import { KLP_MODULE_RELOCS_PREFIX, objectNameProblem } from './naming.js';

/**
 * KLP_MODULE_RELOC(obj) { KLP_SYMPOS(sym, pos), ... } annotations, as the
 * upstream klp-convert series defined them: a section `.klp.module_relocs.<obj>`
 * of packed 12-byte entries `{ void *sym (union with u64); u32 sympos; }`,
 * each pointer slot filled by a relocation to the annotated symbol.
 */

export const ANNOTATION_ENTRY_SIZE = 12;

export const klpSymposSections: AnnotationFormat = {
  dataSections,
  read: (elf, _candidates, diags) => read(elf, diags),
};

/** Annotation sections and the relocation sections that fill them. */
function dataSections(elf: ElfFile): Section[] {
  return elf.sections.filter(
    (s) =>
      s.name.startsWith(KLP_MODULE_RELOCS_PREFIX) ||
      (s.isRelocation && s.infoSection?.name.startsWith(KLP_MODULE_RELOCS_PREFIX)),
  );
}

function read(elf: ElfFile, diags: Diagnostics): Annotation[] {
  const sections = dataSections(elf);
  const annotations: Annotation[] = [];
  const relocsFor = new Map<Section, Section[]>();
  for (const s of sections) {
    if (s.isRelocation && s.infoSection) relocsFor.set(s.infoSection, [...(relocsFor.get(s.infoSection) ?? []), s]);
  }
  for (const s of sections) {
    if (s.isRelocation) continue;
    const object = s.name.slice(KLP_MODULE_RELOCS_PREFIX.length);
    const where = { file: elf.fileName, section: s.name };
    const problem = objectNameProblem(object);
    if (problem) {
      diags.error('KLP010', where, problem);
      continue;
    }
    if (s.type === SHT.NOBITS || s.data.length % ANNOTATION_ENTRY_SIZE !== 0) {
      const entry = `the ${ANNOTATION_ENTRY_SIZE}-byte annotation entry`;
      diags.error('KLP010', where, `size ${s.data.length} is not a multiple of ${entry}`);
      continue;
    }
    const count = s.data.length / ANNOTATION_ENTRY_SIZE;
    const view = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    const bySlot = new Map<number, ElfSymbol>();
    for (const rs of relocsFor.get(s) ?? []) {
      for (const r of rs.relocations ?? []) {
        const off = Number(r.offset);
        // Pair by r_offset, not list order: a linker may emit the entries' relocations in any order.
        if (off % ANNOTATION_ENTRY_SIZE !== 0 || off >= s.data.length) {
          const what = `section '${rs.name}' relocation at offset ${hex(r.offset)}`;
          diags.error('KLP011', { file: elf.fileName }, `${what} does not point at the start of an annotation entry`, {
            unrendered: { section: rs.name, relocationOffset: r.offset },
          });
          continue;
        }
        bySlot.set(off / ANNOTATION_ENTRY_SIZE, r.symbol);
      }
    }
    for (let k = 0; k < count; k++) {
      const symbol = bySlot.get(k);
      const where = `${s.name}+${hex(k * ANNOTATION_ENTRY_SIZE)}`;
      if (!symbol || symbol.index === 0) {
        const entry = `section '${s.name}' entry ${k} (offset ${hex(k * ANNOTATION_ENTRY_SIZE)})`;
        diags.error('KLP012', { file: elf.fileName }, `${entry} has no relocation naming its symbol`, {
          unrendered: { section: s.name },
        });
        continue;
      }
      if (!symbol.isUndefined && symbol.special !== SHN.LIVEPATCH) {
        const what = `section '${s.name}' entry ${k}: symbol '${symbol.name}' is defined in the livepatch itself`;
        const location = { file: elf.fileName, symbol: symbol.name };
        const unrendered = { section: s.name };
        diags.error('KLP013', location, `${what}; only undefined symbols can be annotated`, { unrendered });
        continue;
      }
      const position = view.getUint32(k * ANNOTATION_ENTRY_SIZE + 8, elf.littleEndian);
      const how = 'annotation';
      const source = `annotation ${where}`;
      annotations.push({ kind: how, symbol, name: symbol.name, object, position, gate: object, how, where, source });
    }
  }
  return annotations;
}
