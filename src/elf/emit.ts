import { KlpError } from '../util/errors.js';
import { EXIT } from '../util/exit-codes.js';
import { ByteWriter } from './bytes.js';
import type { FileLayout, SectionContents } from './file-layout.js';
import {
  type ClassLayout, type RawSym, SECTION_WORD_SIZE, joinSymInfo, relEntrySize, writeHeader, writeRel, writeShdr,
  writeSym,
} from './layout.js';

/** The emitter broke the layout it was given: a bug in klp-convert, never the input's fault. */
export class ElfWriterBug extends KlpError {
  override readonly name = 'ElfWriterBug';
  /** Our fault, never the input's. */
  readonly exitCode = EXIT.INTERNAL;
}

/**
 * Write the bytes of a finalized layout and nothing else: every decision
 * (order, index, offset, size) was made by finalizeLayout. Each piece is
 * checked against the room the layout reserved for it, the pieces of the ELF
 * image must end exactly where the layout said the image ends, and the file
 * exactly at its reserved length; anything else is an ElfWriterBug.
 */
export function emitLayout(layout: FileLayout): Uint8Array {
  const l = layout.classLayout;
  const out = new Uint8Array(layout.size);
  const w = new ByteWriter(out, layout.littleEndian);
  const hex = (n: number): string => `0x${n.toString(16)}`;
  let written = 0;
  const reserve = (at: number, length: number, what: string): void => {
    if (at < 0 || at + length > out.length) {
      bug(layout, `${what} (${hex(length)} bytes at ${hex(at)}) lies outside the ${hex(out.length)} bytes reserved`);
    }
    written = Math.max(written, at + length);
  };

  reserve(0, layout.inherited.length, 'the bytes kept from the input');
  out.set(layout.inherited, 0);
  for (const r of layout.cleared) out.fill(0, r.offset, r.offset + r.size);

  layout.sections.forEach((s, i) => {
    if (s.contents.kind === 'none') return;
    const at = Number(s.header.offset);
    const length = Number(s.header.size);
    const what = `section [${i}]`;
    reserve(at, length, what);
    // A writer bound to exactly the reserved bytes: writing past them throws, falling short is caught below.
    const region = new ByteWriter(out.subarray(at, at + length), layout.littleEndian);
    let end: number;
    try {
      end = writeContents(region, l, s.contents);
    } catch (e) {
      if (e instanceof RangeError) bug(layout, `${what}: contents overflow the ${hex(length)} bytes of sh_size`);
      throw e;
    }
    if (end !== length) bug(layout, `${what}: wrote ${hex(end)} bytes of contents, sh_size is ${hex(length)}`);
  });

  const shoff = Number(layout.header.shoff);
  reserve(shoff, layout.sections.length * l.shdrSize, 'the section header table');
  layout.sections.forEach((s, i) => writeShdr(w, l, shoff + i * l.shdrSize, s.header));
  reserve(0, l.ehdrSize, 'the ELF header');
  writeHeader(w, l, layout.header);
  if (written !== layout.imageSize) {
    bug(layout, `the ELF image ends at ${hex(written)}, but the layout reserved ${hex(layout.imageSize)} bytes for it`);
  }
  reserve(layout.imageSize, layout.trailer.length, 'the trailer');
  out.set(layout.trailer, layout.imageSize);
  if (written !== layout.size) bug(layout, `wrote ${hex(written)} bytes where the layout reserved ${hex(layout.size)}`);
  return out;
}

function bug(layout: FileLayout, what: string): never {
  throw new ElfWriterBug(`${layout.fileName}: the ELF writer broke its own layout (a bug in klp-convert): ${what}`);
}

/** Write contents from offset 0 of `w`; returns where the last record ended. */
function writeContents(w: ByteWriter, l: ClassLayout, c: SectionContents): number {
  let end = 0;
  const words = (entries: Iterable<number>): void => {
    for (const e of entries) {
      w.u32(end, e);
      end += SECTION_WORD_SIZE;
    }
  };
  switch (c.kind) {
    case 'none':
      break;
    case 'bytes':
      w.bytes.set(c.bytes, 0);
      end = c.bytes.length;
      break;
    case 'symbols': {
      // One record for every entry (writeSym copies it out), not one a symbol.
      const raw: RawSym = { name: 0, value: 0n, size: 0n, info: 0, other: 0, shndx: 0 };
      for (let k = 0; k < c.entries.length; k++) {
        const e = c.entries[k]!;
        raw.name = c.names[k]!;
        raw.value = e.value;
        raw.size = e.size;
        raw.info = joinSymInfo(e.bind, e.type);
        raw.other = e.other;
        raw.shndx = c.shndx[k]!;
        writeSym(w, l, end, raw);
        end += l.symSize;
      }
      break;
    }
    case 'extended-indices':
      words(c.entries);
      break;
    case 'relocations':
      c.entries.forEach((e, k) => {
        writeRel(w, l, end, c.rela, e, c.symbols[k]!);
        end += relEntrySize(l, c.rela);
      });
      break;
    case 'group':
      words([c.flags, ...c.members]);
  }
  return end;
}
