/**
 * A module's block of the output map, written straight from the module's
 * bytes: no ELF model, no object or string per symbol. Names are copied from
 * the string table into a reused output buffer; only source file names,
 * `__ksymtab_` names and (when the module has exports) global names are
 * decoded. The bytes are exactly what moduleObject, markExports and
 * compactObjectText/upstreamObjectText give for the same file (the tests
 * compare both on every module of a Debian kernel and on damaged files).
 */
import { SHN, STB, STT } from '../../elf/index.js';
import { isGlobalKind } from '../nm-letters.js';
import { modinfoStringsOf } from './elf-symbols.js';
import { type ModuleOptions, moduleNameFromModinfo, sectionKeptAfterInit } from './module-symbols.js';
import { type ModuleTables, SYM, SYM_SIZE, nulBefore } from './module-tables.js';
import { classBySection, nmKindFromClass } from './nm-kind.js';
import { type OutputFormat, assertWritable, compactObjectText, upstreamObjectText } from './write-map.js';

export interface ModuleBlock {
  name: string;
  /** The object's lines in the output format, each ending in a newline. */
  bytes: Buffer;
  /** Symbols listed for the object (load-only ones included), as the model would count them. */
  symbols: number;
  /** Why the writer would refuse this object (a name with a newline), checked in the writer's order. */
  writeError?: Error;
}

const KSYMTAB = Buffer.from('__ksymtab_', 'latin1');
const FLAG_LISTED = 1;
const FLAG_LOAD_ONLY = 2;
const FLAG_EXPORTED = 4;

/** A growable byte buffer, reused from one module to the next. */
class ByteSink {
  buf = Buffer.allocUnsafe(1 << 20);
  length = 0;

  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  text(s: string): void {
    this.reserve(s.length * 3);
    this.length += this.buf.write(s, this.length, 'utf8');
  }

  /** Bytes decoded as latin1 and written as UTF-8, as the model path's strings are. */
  latin1Bytes(src: Buffer, start: number, end: number): void {
    this.reserve((end - start) * 2);
    const out = this.buf;
    let n = this.length;
    for (let i = start; i < end; i++) {
      const c = src[i]!;
      if (c < 0x80) out[n++] = c;
      else {
        out[n++] = 0xc0 | (c >> 6);
        out[n++] = 0x80 | (c & 0x3f);
      }
    }
    this.length = n;
  }

  take(): Buffer {
    const b = Buffer.allocUnsafe(this.length);
    this.buf.copy(b, 0, 0, this.length);
    this.length = 0;
    return b;
  }

  /** The bytes written, in place: valid until the next write. */
  lend(): Buffer {
    const b = this.buf.subarray(0, this.length);
    this.length = 0;
    return b;
  }
}

/** `__ksymtab_` at b[start]; compared here, where Buffer.compare's call into C++ cost more than the bytes. */
function startsWithKsymtab(b: Buffer, start: number): boolean {
  for (let i = 0; i < KSYMTAB.length; i++) if (b[start + i] !== KSYMTAB[i]) return false;
  return true;
}

function hasLineBreak(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] === 10 || b[i] === 13) return true;
  return false;
}

function errorOf(check: () => unknown): Error | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/** Encodes modules one after another, reusing its buffers. */
export class ModuleBlockWriter {
  private readonly out = new ByteSink();
  private nameStart = new Int32Array(0);
  private nameEnd = new Int32Array(0);
  private kinds = new Uint8Array(0);
  private flags = new Uint8Array(0);
  private fileIds = new Int32Array(0);

  /**
   * `lend`: each block's bytes stay in the writer's buffer, valid until the next
   * module (for a caller that copies them on at once); else each block owns a copy.
   */
  constructor(
    private readonly format: OutputFormat,
    private readonly opts: ModuleOptions,
    private readonly lend = false,
  ) {}

  private grow(count: number): void {
    if (this.kinds.length >= count) return;
    const n = Math.max(count, this.kinds.length * 2);
    this.nameStart = new Int32Array(n);
    this.nameEnd = new Int32Array(n);
    this.kinds = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.fileIds = new Int32Array(n);
  }

  /** `exports`: Module.symvers exports by kernel object name. */
  write(b: Buffer, t: ModuleTables, fileName: string, exports: ReadonlyMap<string, ReadonlySet<string>>): ModuleBlock {
    const modinfo = t.names.indexOf('.modinfo');
    const modinfoData = modinfo < 0 ? null : b.subarray(t.offsets[modinfo]!, t.offsets[modinfo]! + t.sizes[modinfo]!);
    const name = moduleNameFromModinfo(modinfoData === null ? [] : modinfoStringsOf(modinfoData), fileName);
    this.grow(t.symCount);
    const files: string[] = [];
    const { ksymtab, listedKsymtab, symbols, fileError } = this.scan(b, t, files);
    const also = exports.get(name);
    if (ksymtab.size > 0 || (also !== undefined && also.size > 0)) this.markExports(b, t.symCount, ksymtab, also);
    // The object name's checks: those of the model path's writer, on the name alone.
    const objectText = this.format === 'compact' ? compactObjectText : upstreamObjectText;
    const nameError = errorOf(() => objectText({ name, symbols: [], loadView: true }));
    const symbolError =
      this.format === 'compact'
        ? this.compact(b, t.symCount, name, files)
        : this.upstream(b, t.symCount, name, listedKsymtab);
    const block: ModuleBlock = { name, bytes: this.lend ? this.out.lend() : this.out.take(), symbols };
    const writeError = nameError ?? (this.format === 'compact' ? fileError : undefined) ?? symbolError;
    if (writeError) block.writeError = writeError;
    return block;
  }

  /** Pass one: what each symbol is, the file table, and the object's `__ksymtab_` names. */
  private scan(b: Buffer, t: ModuleTables, files: string[]) {
    const { nameStart, nameEnd, kinds, flags, fileIds } = this;
    const classes: (string | null | undefined)[] = new Array(t.shnum);
    const kept = new Int8Array(t.shnum);
    const fileIdOf = new Map<string, number>();
    const ksymtab = new Set<string>();
    const listedKsymtab = new Set<string>();
    let file: string | undefined;
    let symbols = 0;
    let fileError: Error | undefined;
    for (let k = 1; k < t.symCount; k++) {
      flags[k] = 0;
      const at = t.symOffset + k * SYM_SIZE;
      const nameOffset = b.readUInt32LE(at + SYM.name);
      const start = t.strOffset + nameOffset;
      // module-tables.ts checked that every name ends within the string table.
      const end = nameOffset === 0 ? start : nulBefore(b, start, t.strOffset + t.strSize);
      const info = b[at + SYM.info]!;
      const type = info & 0xf;
      const bind = info >> 4;
      if (type === STT.FILE) {
        file = end === start ? undefined : b.toString('latin1', start, end);
        continue;
      }
      const shndx = b.readUInt16LE(at + SYM.shndx);
      if (type === STT.SECTION || end === start || shndx === SHN.UNDEF) continue;
      const section = shndx < SHN.LORESERVE ? shndx : -1;
      let sectionClass: string | null = null;
      let keptAfterInit = false;
      if (section >= 0) {
        if (classes[section] === undefined) {
          const sec = { name: t.names[section]!, type: t.types[section]!, flags: t.flags[section]! };
          classes[section] = classBySection(sec);
          kept[section] = sectionKeptAfterInit(sec, this.opts) ? 1 : 0;
        }
        sectionClass = classes[section]!;
        keptAfterInit = kept[section] === 1;
      }
      nameStart[k] = start;
      nameEnd[k] = end;
      kinds[k] = nmKindFromClass(bind, type, section >= 0 ? 0 : shndx, sectionClass).charCodeAt(0);
      flags[k] = FLAG_LISTED | (keptAfterInit ? 0 : FLAG_LOAD_ONLY);
      symbols++;
      fileIds[k] = 0;
      if (bind === STB.LOCAL && file !== undefined) {
        let id = fileIdOf.get(file);
        if (id === undefined) {
          fileIdOf.set(file, (id = fileIdOf.size + 1));
          files.push(file);
          fileError ??= errorOf(() => assertWritable(file!, 'source file'));
        }
        fileIds[k] = id;
      }
      if (end - start > KSYMTAB.length && startsWithKsymtab(b, start)) {
        const exported = b.toString('latin1', start + KSYMTAB.length, end);
        ksymtab.add(exported);
        if (keptAfterInit) listedKsymtab.add(exported);
      }
    }
    return { ksymtab, listedKsymtab, symbols, fileError };
  }

  private markExports(
    b: Buffer,
    count: number,
    ksymtab: ReadonlySet<string>,
    also: ReadonlySet<string> | undefined,
  ): void {
    const { nameStart, nameEnd, kinds, flags } = this;
    for (let k = 1; k < count; k++) {
      if ((flags[k]! & (FLAG_LISTED | FLAG_LOAD_ONLY)) !== FLAG_LISTED) continue;
      if (!isGlobalKind(String.fromCharCode(kinds[k]!))) continue;
      const name = b.toString('latin1', nameStart[k]!, nameEnd[k]!);
      if (ksymtab.has(name) || (also !== undefined && also.has(name))) flags[k]! |= FLAG_EXPORTED;
    }
  }

  private unwritable(b: Buffer, k: number): Error | undefined {
    const [start, end] = [this.nameStart[k]!, this.nameEnd[k]!];
    if (!hasLineBreak(b, start, end)) return undefined;
    return errorOf(() => assertWritable(b.toString('latin1', start, end), 'symbol'));
  }

  private compact(b: Buffer, count: number, name: string, files: string[]): Error | undefined {
    const { out, nameStart, nameEnd, kinds, flags, fileIds } = this;
    let error: Error | undefined;
    out.text(`*${name} load\n`);
    files.forEach((f, i) => out.text(`@${i + 1} ${f}\n`));
    for (let k = 1; k < count; k++) {
      const f = flags[k]!;
      if ((f & FLAG_LISTED) === 0) continue;
      error ??= this.unwritable(b, k);
      out.byte(kinds[k]!);
      if ((f & FLAG_EXPORTED) !== 0) out.byte(0x2b); // '+'
      if ((f & FLAG_LOAD_ONLY) !== 0) out.byte(0x2d); // '-'
      if (fileIds[k] !== 0) out.text(String(fileIds[k]));
      out.byte(0x20);
      out.latin1Bytes(b, nameStart[k]!, nameEnd[k]!);
      out.byte(0x0a);
    }
    return error;
  }

  private upstream(b: Buffer, count: number, name: string, listedKsymtab: Set<string>): Error | undefined {
    const { out, nameStart, nameEnd, flags } = this;
    let error: Error | undefined;
    out.text(`*${name}\n`);
    for (let k = 1; k < count; k++) {
      const f = flags[k]!;
      if ((f & (FLAG_LISTED | FLAG_LOAD_ONLY)) !== FLAG_LISTED) continue;
      error ??= this.unwritable(b, k);
      out.latin1Bytes(b, nameStart[k]!, nameEnd[k]!);
      out.byte(0x0a);
      if ((f & FLAG_EXPORTED) === 0) continue;
      const exported = b.toString('latin1', nameStart[k]!, nameEnd[k]!);
      if (listedKsymtab.has(exported)) continue;
      listedKsymtab.add(exported);
      out.latin1Bytes(KSYMTAB, 0, KSYMTAB.length);
      out.latin1Bytes(b, nameStart[k]!, nameEnd[k]!);
      out.byte(0x0a);
    }
    return error;
  }
}
