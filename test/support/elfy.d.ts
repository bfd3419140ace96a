/** Just the part of elfy (npm, untyped) the tests use as a second opinion on ELF headers. */
declare module 'elfy' {
  export interface ElfySection {
    name: string;
    type: string | number;
    flags: Record<string, boolean>;
    addr: number;
    off: number;
    size: number;
    link: number;
    info: number;
    addralign: number;
    entsize: number;
    data: Buffer;
  }
  export interface ElfyFile {
    class: '32' | '64';
    endian: 'lsb' | 'msb';
    osabi: string;
    abiversion: string;
    type: string;
    machine: string;
    version: number;
    entry: number;
    phoff: number;
    shoff: number;
    flags: number;
    ehsize: number;
    phentsize: number;
    phnum: number;
    shentsize: number;
    shnum: number;
    shstrndx: number;
    body: { programs: unknown[]; sections: ElfySection[] };
  }
  export const constants: {
    machine: Record<number, string>;
    type: Record<number, string>;
    sectType: Record<number, string>;
    osabi: Record<number, string>;
  };
  export function parse(buf: Buffer): ElfyFile;
  const elfy: { parse: typeof parse; constants: typeof constants };
  export default elfy;
}
