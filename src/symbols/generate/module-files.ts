/**
 * Finding module files and reading them, compressed or not.
 *
 * `.ko.gz` is inflated in-process (zlib); `.ko.xz` and `.ko.zst` go through
 * the `xz` and `zstd` programs (Debian's xz-utils and zstd packages), since
 * Node 20 has no decoder for either. Reads run a few at a time so that the
 * decompressors and the disk overlap with parsing.
 */
import { type Dirent, closeSync, existsSync, fstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { InputFileError, assertRegularFile, ioReason, readRegularFileSync } from '../../util/read-file.js';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SymbolSourceError } from '../errors.js';
import { readModulePartsInto } from './module-parts.js';

export const MODULE_FILE = /\.ko(\.(xz|zst|gz))?$/;
const SUFFIXES = ['.ko', '.ko.xz', '.ko.zst', '.ko.gz'];

/** Every module file under `dir`, recursively, in sorted path order (deterministic). */
export function findModuleFiles(dir: string): string[] {
  const out: string[] = [];
  // Directories already walked, by device and inode: a symlink back up the tree is walked once.
  const seen = new Set<string>();
  const walk = (d: string) => {
    let entries: Dirent[];
    try {
      const st = statSync(d);
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) return;
      seen.add(id);
      // With types: a stat per entry was most of the walk (a distribution has 4,000 modules).
      entries = readdirSync(d, { withFileTypes: true });
    } catch (err) {
      throw new SymbolSourceError(`cannot list ${d}: ${ioReason(err)}`, { cause: err });
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const { name } = entry;
      const path = join(d, name);
      // The entry's own type says all but where a symlink points (followed, as stat does).
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        let st;
        try {
          st = statSync(path, { throwIfNoEntry: false });
        } catch (err) {
          throw new SymbolSourceError(`${path}: ${ioReason(err)}`, { cause: err });
        }
        if (!st) continue;
        isDirectory = st.isDirectory();
      }
      if (isDirectory) {
        // A /lib/modules tree links `build` and `source` back to the kernel sources.
        if (name === 'build' || name === 'source') continue;
        walk(path);
      } else if (MODULE_FILE.test(name)) {
        out.push(path);
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * Modules listed in a modules.order file (entries like `fs/ext4/ext4.o`,
 * `fs/ext4/ext4.ko` or `kernel/fs/ext4/ext4.ko`), resolved against `base`
 * and any compression suffix. Listed modules that are missing are reported.
 */
export function modulesFromOrder(
  orderFile: string,
  base: string,
  text: string,
): { found: string[]; missing: string[] } {
  const found: string[] = [];
  const missing: string[] = [];
  for (const raw of text.split('\n')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const stem = entry.replace(/\.(o|ko)$/, '');
    const path = SUFFIXES.map((s) => resolve(base, stem + s)).find((p) => existsSync(p));
    if (path) found.push(path);
    else missing.push(`${stem}.ko (listed in ${orderFile})`);
  }
  return { found, missing };
}

async function runDecompressor(tool: string, file: string): Promise<Buffer> {
  // Loaded here, for the rare compressed module: node:child_process brings Node's stream and network
  // modules with it, ~14 M instructions (~3% of Node's start-up) that every conversion would pay.
  const { execFile } = await import('node:child_process');
  return new Promise((resolvePromise, reject) => {
    execFile(tool, ['-dc', file], { encoding: 'buffer', maxBuffer: 1 << 30 }, (err, stdout, stderr) => {
      if (err) {
        const why =
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? `'${tool}' is not installed (Debian: apt-get install ${tool === 'xz' ? 'xz-utils' : 'zstd'})`
            : stderr.toString().trim() || err.message;
        reject(new SymbolSourceError(`cannot decompress ${file}: ${why}`, { cause: err }));
      } else {
        resolvePromise(stdout);
      }
    });
  });
}

/** The ELF bytes of a module file. */
export async function readModuleFile(file: string): Promise<Buffer> {
  // Before a decompressor blocks on a FIFO or reads /dev/zero forever.
  try {
    assertRegularFile(file);
  } catch (err) {
    throw new SymbolSourceError((err as Error).message, { cause: err });
  }
  if (file.endsWith('.xz')) return runDecompressor('xz', file);
  if (file.endsWith('.zst')) return runDecompressor('zstd', file);
  let bytes: Buffer;
  try {
    // Synchronous: for thousands of small page-cached files one read(2) each beats
    // four thread-pool round trips (open, fstat, read, close) per file.
    bytes = readRegularFileSync(file);
  } catch (err) {
    throw new SymbolSourceError((err as Error).message, { cause: err });
  }
  if (file.endsWith('.gz')) {
    try {
      return gunzipSync(bytes);
    } catch (err) {
      throw new SymbolSourceError(`cannot decompress ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  return bytes;
}

/**
 * A plain module file read into `scratch`, grown as needed: the bytes are valid
 * until the next read. Thousands of modules then cost no fresh memory each
 * (a first write to a fresh page costs more than the read itself).
 */
export function readPlainModuleInto(file: string, scratch: { buf: Buffer }): Buffer {
  let fd: number | undefined;
  try {
    // Before opening: a FIFO would block the open itself.
    assertRegularFile(file);
    fd = openSync(file, 'r');
    let size = fstatSync(fd).size;
    let length = 0;
    for (;;) {
      if (size > scratch.buf.length) {
        // Room for one byte more than the file has, so the read that sees its end needs no growth.
        const grown = Buffer.allocUnsafe(Math.max(size + 1, scratch.buf.length * 2));
        if (length > 0) scratch.buf.copy(grown, 0, 0, length);
        scratch.buf = grown;
      }
      const n = readSync(fd, scratch.buf, length, scratch.buf.length - length, null);
      if (n === 0) break;
      length += n;
      size = Math.max(size, length + 1);
    }
    return scratch.buf.subarray(0, length);
  } catch (err) {
    const why =
      err instanceof InputFileError ? err : new InputFileError(file, `cannot read: ${ioReason(err)}`, { cause: err });
    throw new SymbolSourceError(why.message, { cause: why });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Read `files` with at most `ahead` reads in flight, handing each result to
 * `consume` in input order (so output never depends on timing). With
 * `scratch`, plain `.ko` files are read at their turn into that one buffer
 * (valid only during `consume`), and only the parts the map generator's
 * direct reader looks at (module-parts.ts): then `whole` reads every byte, for
 * a consumer that needs more. Compressed files are still decompressed ahead.
 */
export async function forEachModuleFile(
  files: string[],
  ahead: number,
  consume: (file: string, bytes: Buffer, index: number, whole?: () => Buffer) => void,
  scratch?: { buf: Buffer },
): Promise<void> {
  const pending: (Promise<Buffer> | null)[] = [];
  let next = 0;
  const fill = () => {
    while (next < files.length && pending.length < ahead) {
      const file = files[next++]!;
      if (scratch && file.endsWith('.ko')) {
        pending.push(null);
        continue;
      }
      const read = readModuleFile(file);
      // A read that fails before its turn must not count as an unhandled rejection
      // (which would end the process); the error surfaces when it is awaited below.
      read.catch(() => undefined);
      pending.push(read);
    }
  };
  fill();
  for (let i = 0; i < files.length; i++) {
    const read = pending.shift()!;
    const file = files[i]!;
    const parts = read === null ? readModulePartsInto(file, scratch!) : null;
    const bytes = parts ?? (read === null ? readPlainModuleInto(file, scratch!) : await read);
    fill();
    consume(file, bytes, i, parts === null ? undefined : () => readPlainModuleInto(file, scratch!));
    // Let callbacks run between modules (a gzip stream fed as they are read, on zlib's threads).
    if (read === null) await new Promise<void>((resolveTurn) => setImmediate(resolveTurn));
  }
}
