import { KlpError } from '../util/errors.js';
import { EXIT } from '../util/exit-codes.js';

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
export class ElfFormatError extends KlpError {
  override readonly name = 'ElfFormatError';
  readonly exitCode = EXIT.BAD_INPUT;
  readonly file: string;
  readonly section: string | undefined;
  /** A byte offset in the file (never an r_offset). */
  readonly fileOffset: number | undefined;
  readonly reason: string;

  constructor(file: string, reason: string, where: ElfLocation = {}) {
    const parts = [file];
    if (where.section !== undefined) parts.push(`section '${where.section}'`);
    if (where.offset !== undefined) parts.push(`offset 0x${where.offset.toString(16)}`);
    super(`${parts.join(': ')}: ${reason}`, {
      file,
      ...(where.section !== undefined ? { section: where.section } : {}),
      ...(where.offset !== undefined ? { fileOffset: where.offset } : {}),
    });
    this.file = file;
    this.section = where.section;
    this.fileOffset = where.offset;
    this.reason = reason;
  }

  /** The file offset under its older name. */
  get offset(): number | undefined {
    return this.fileOffset;
  }
}

/**
 * A model edit that would leave a dangling reference; a bug in the caller, not in the input. Its exit
 * status stays the one it always had (3, as for any input the run could not process).
 */
export class ElfModelError extends KlpError {
  override readonly name = 'ElfModelError';
  readonly exitCode = EXIT.BAD_INPUT;
}
