/** Exit statuses of klp-convert, documented in the README; each error class carries one (errors.ts). */
export const EXIT = {
  OK: 0,
  /** The module cannot be converted as it is (unknown or ambiguous symbol, forbidden section, ...). */
  CONVERSION_FAILED: 1,
  /** Wrong command line. */
  USAGE: 2,
  /** An input could not be read or parsed (malformed ELF, bad map or positions line, I/O error). */
  BAD_INPUT: 3,
  /** A bug in klp-convert. */
  INTERNAL: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
