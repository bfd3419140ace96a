/** Where in an ELF file a problem was found. */
export interface ElfLocation {
  /** Section name, or `#<index>` when the name itself could not be read. */
  section?: string;
  /** Byte offset in the file. */
  offset?: number;
}

/**
 * Malformed or unsupported ELF input. The message always names the file and,
 * where known, the section and the file offset, so a user can find the bytes.
 */
export class ElfFormatError extends Error {
  override readonly name = 'ElfFormatError';
  readonly file: string;
  readonly section: string | undefined;
  readonly offset: number | undefined;
  readonly reason: string;

  constructor(file: string, reason: string, where: ElfLocation = {}) {
    const parts = [file];
    if (where.section !== undefined) parts.push(`section '${where.section}'`);
    if (where.offset !== undefined) parts.push(`offset 0x${where.offset.toString(16)}`);
    super(`${parts.join(': ')}: ${reason}`);
    this.file = file;
    this.section = where.section;
    this.offset = where.offset;
    this.reason = reason;
  }
}

/** A model edit that would leave a dangling reference; a bug in the caller, not in the input. */
export class ElfModelError extends Error {
  override readonly name = 'ElfModelError';
}
