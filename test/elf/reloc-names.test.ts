import { describe, expect, test } from 'vitest';
import { EM, relocationTypeName } from '../../src/elf/index.js';

describe('relocation type names', () => {
  test('spell the psABI names and fall back to hex', () => {
    expect(relocationTypeName(EM.X86_64, 2)).toBe('R_X86_64_PC32');
    expect(relocationTypeName(EM.PPC64, 10)).toBe('R_PPC64_REL24');
    expect(relocationTypeName(EM.AARCH64, 283)).toBe('R_AARCH64_CALL26');
    expect(relocationTypeName(EM.S390, 19)).toBe('R_390_PC32DBL');
    expect(relocationTypeName(EM.X86_64, 999)).toBe('0x3e7');
    expect(relocationTypeName(0x1234, 1)).toBe('0x1');
  });
});
