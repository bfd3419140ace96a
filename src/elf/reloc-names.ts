import { EM } from './constants.js';

/**
 * Names of the relocation types livepatch modules use, per machine (the
 * psABIs' spelling), for reports and messages. Types missing here print as
 * numbers: this is for people, the converter never needs the meaning.
 */
const NAMES: Record<number, Record<number, string>> = {
  [EM.X86_64]: {
    0: 'NONE', 1: '64', 2: 'PC32', 3: 'GOT32', 4: 'PLT32', 9: 'GOTPCREL', 10: '32', 11: '32S', 24: 'PC64',
    41: 'GOTPCRELX', 42: 'REX_GOTPCRELX',
  },
  [EM.I386]: { 0: 'NONE', 1: '32', 2: 'PC32', 3: 'GOT32', 4: 'PLT32', 9: 'GOTOFF', 10: 'GOTPC' },
  [EM.PPC64]: {
    0: 'NONE', 1: 'ADDR32', 4: 'ADDR16_LO', 5: 'ADDR16_HI', 6: 'ADDR16_HA', 10: 'REL24', 26: 'REL32',
    38: 'ADDR64', 44: 'REL64', 47: 'TOC16', 48: 'TOC16_LO', 49: 'TOC16_HI', 50: 'TOC16_HA', 51: 'TOC',
    63: 'TOC16_DS', 64: 'TOC16_LO_DS', 118: 'ENTRY', 250: 'REL16_LO', 252: 'REL16_HA',
  },
  [EM.PPC]: {
    0: 'NONE', 1: 'ADDR32', 4: 'ADDR16_LO', 5: 'ADDR16_HI', 6: 'ADDR16_HA', 10: 'REL24', 18: 'PLTREL24', 26: 'REL32',
  },
  [EM.S390]: {
    0: 'NONE', 4: '32', 5: 'PC32', 16: 'PC16DBL', 19: 'PC32DBL', 20: 'PLT32DBL', 22: '64', 23: 'PC64', 26: 'GOTENT',
  },
  [EM.AARCH64]: {
    0: 'NONE', 257: 'ABS64', 258: 'ABS32', 260: 'PREL64', 261: 'PREL32', 275: 'ADR_PREL_PG_HI21',
    277: 'ADD_ABS_LO12_NC', 278: 'LDST8_ABS_LO12_NC', 282: 'JUMP26', 283: 'CALL26', 284: 'LDST16_ABS_LO12_NC',
    285: 'LDST32_ABS_LO12_NC', 286: 'LDST64_ABS_LO12_NC', 299: 'LDST128_ABS_LO12_NC',
  },
};

const PREFIX: Record<number, string> = {
  [EM.X86_64]: 'R_X86_64_',
  [EM.I386]: 'R_386_',
  [EM.PPC64]: 'R_PPC64_',
  [EM.PPC]: 'R_PPC_',
  [EM.S390]: 'R_390_',
  [EM.AARCH64]: 'R_AARCH64_',
};

/** `R_X86_64_PC32` and the like, or the number in hex when we do not know the name. */
export function relocationTypeName(machine: number, type: number): string {
  const name = NAMES[machine]?.[type];
  return name === undefined ? `0x${type.toString(16)}` : `${PREFIX[machine]}${name}`;
}
