/**
 * The parts of a plain module file that the direct reader (module-tables.ts,
 * module-block.ts) looks at, and nothing else: the ELF header, the section
 * headers, the symbol and string tables and `.modinfo`. Code, data and
 * relocations are most of a module's bytes and the map needs none of them;
 * `nm` does not read them either.
 *
 * The parts are read into a reused buffer at their file offsets, so the direct
 * reader finds everything where it would in the whole file; the bytes between
 * them are stale (left from earlier files). Every byte the direct reader
 * inspects lies in a part read here, so it accepts or refuses the file just as
 * it would the whole file; where it refuses, the caller reads the file whole
 * for the model path. A file that does not look like what the direct reader
 * takes gives null here: the caller then reads it whole at once.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { EI_CLASS, EI_DATA, LAYOUT64, SHDR_FIELD, SHT, headerFieldOffset } from '../../elf/index.js';
import { assertRegularFile } from '../../util/read-file.js';

const EHDR = LAYOUT64.ehdrSize;
const SHDR = LAYOUT64.shdrSize;
const E = (field: Parameters<typeof headerFieldOffset>[1]): number => headerFieldOffset(LAYOUT64, field);
const SH = SHDR_FIELD[64];
const ELF_MAGIC = 0x7f454c46;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const MODINFO = Buffer.from('.modinfo\0', 'latin1');

/** Fill [at, at + length) of `buf` from the file; false when the file ends first. */
function readRange(fd: number, buf: Buffer, at: number, length: number): boolean {
  for (let done = 0; done < length; ) {
    const n = readSync(fd, buf, at + done, length - done, at + done);
    if (n === 0) return false;
    done += n;
  }
  return true;
}

/** A 64-bit field as a number, or -1 when it needs more than 53 bits. */
function u64(b: Buffer, at: number): number {
  const hi = b.readUInt32LE(at + 4);
  return hi > 0x1fffff ? -1 : hi * 0x100000000 + b.readUInt32LE(at);
}

function readParts(fd: number, size: number, scratch: { buf: Buffer }): Buffer | null {
  if (size < EHDR) return null;
  if (scratch.buf.length < size) scratch.buf = Buffer.allocUnsafe(Math.max(size, scratch.buf.length * 2));
  const b = scratch.buf;
  if (!readRange(fd, b, 0, EHDR)) return null;
  if (b.readUInt32BE(0) !== ELF_MAGIC || b[EI_CLASS] !== ELFCLASS64 || b[EI_DATA] !== ELFDATA2LSB) return null;
  const shoff = u64(b, E('shoff'));
  const shnum = b.readUInt16LE(E('shnum'));
  const shstrndx = b.readUInt16LE(E('shstrndx'));
  if (shoff <= 0 || shnum === 0 || b.readUInt16LE(E('shentsize')) !== SHDR || shstrndx >= shnum) return null;
  if (shoff + shnum * SHDR > size || !readRange(fd, b, shoff, shnum * SHDR)) return null;
  const part = (i: number): [number, number] | null => {
    const at = shoff + i * SHDR;
    if (b.readUInt32LE(at + SH.type) === SHT.NOBITS) return [0, 0];
    const offset = u64(b, at + SH.offset);
    const length = u64(b, at + SH.size);
    return offset < 0 || length < 0 || offset + length > size ? null : [offset, length];
  };
  const names = part(shstrndx);
  if (names === null || !readRange(fd, b, names[0], names[1])) return null;
  let modinfoFound = false;
  for (let i = 1; i < shnum; i++) {
    const type = b.readUInt32LE(shoff + i * SHDR + SH.type);
    const nameOffset = b.readUInt32LE(shoff + i * SHDR + SH.name);
    // The first section named .modinfo is the one the direct reader takes.
    const isModinfo: boolean =
      !modinfoFound &&
      nameOffset + MODINFO.length <= names[1] &&
      b.compare(MODINFO, 0, MODINFO.length, names[0] + nameOffset, names[0] + nameOffset + MODINFO.length) === 0;
    modinfoFound ||= isModinfo;
    if (!isModinfo && type !== SHT.SYMTAB && type !== SHT.STRTAB) continue;
    const range = part(i);
    if (range === null || !readRange(fd, b, range[0], range[1])) return null;
  }
  return b.subarray(0, size);
}

/** The parts of a plain module file, or null: read it whole instead (that read also names any problem). */
export function readModulePartsInto(file: string, scratch: { buf: Buffer }): Buffer | null {
  let fd: number | undefined;
  try {
    // Before opening: a FIFO would block the open itself.
    assertRegularFile(file);
    fd = openSync(file, 'r');
    return readParts(fd, fstatSync(fd).size, scratch);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
