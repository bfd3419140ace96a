import type { ClassLayout, RawHeader, RawShdr, RelFields } from './layout.js';

/**
 * Everything the emitter needs to write one file, decided beforehand by
 * finalizeLayout (src/elf/finalize.ts): the section header table's order, the
 * symbol table's order, every index, name offset, file offset and size. It
 * holds numbers and bytes, and reaches model relocations and symbols only
 * through their plain, read-only value fields (never their links), so writing
 * cannot consult or change the model's structure. It shares the model's
 * bytes and relocation lists rather than copying them, so it is valid until
 * the model is next edited: writeElf emits it straight away.
 */
export interface FileLayout {
  /** Names the file in messages. */
  readonly fileName: string;
  readonly classLayout: ClassLayout;
  readonly littleEndian: boolean;
  /** The ELF header as written (e_shoff, e_shnum, e_shstrndx final). */
  readonly header: Readonly<RawHeader>;
  /** Section header table order; [0] is the null section. */
  readonly sections: readonly PlacedSection[];
  /**
   * The input's first bytes, copied first: the ELF and program headers and the
   * padding between sections the input had.
   */
  readonly inherited: Uint8Array;
  /** Input ranges zeroed after the copy: sections moved or gone, the old section header table. */
  readonly cleared: readonly FileRange[];
  /** Bytes of the ELF image; the trailer follows it. */
  readonly imageSize: number;
  /** Bytes after the ELF image, e.g. an appended module signature. */
  readonly trailer: Uint8Array;
  /** Length of the file: imageSize plus the trailer. */
  readonly size: number;
}

export interface FileRange {
  readonly offset: number;
  readonly size: number;
}

export interface PlacedSection {
  /** The section header as written; contents go at sh_offset and fill sh_size bytes exactly. */
  readonly header: Readonly<RawShdr>;
  readonly contents: SectionContents;
}

/** What to write at a section's offset, as records whose every index is already resolved. */
export type SectionContents =
  /** The null section and NOBITS sections: a header, no bytes. */
  | { readonly kind: 'none' }
  /** Verbatim contents, or a string table as the layout built it. */
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  /**
   * A symbol table: the symbols' own fields in table order, with st_name and
   * st_shndx (SHN_XINDEX escape applied) from the layout, by the same index.
   */
  | {
      readonly kind: 'symbols';
      readonly entries: readonly SymbolFields[];
      readonly names: Uint32Array;
      readonly shndx: Uint32Array;
    }
  /** SHT_SYMTAB_SHNDX: one section index per symbol, 0 where st_shndx holds it. */
  | { readonly kind: 'extended-indices'; readonly entries: Uint32Array }
  /** A REL or RELA table: each entry's own fields, with r_sym from the layout, by the same index. */
  | {
      readonly kind: 'relocations';
      readonly rela: boolean;
      readonly entries: readonly Readonly<RelFields>[];
      readonly symbols: Uint32Array;
    }
  | { readonly kind: 'group'; readonly flags: number; readonly members: readonly number[] };

/** The fields of a symbol the emitter writes as they are (an ElfSymbol has them). */
export interface SymbolFields {
  readonly value: bigint;
  readonly size: bigint;
  readonly bind: number;
  readonly type: number;
  readonly other: number;
}
