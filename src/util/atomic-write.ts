import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /**
   * Flush the data to the disk before the rename (fsync), so that a crash of the machine cannot leave
   * an empty file where the old one was. Worth it where the old contents are the only copy: a module
   * converted in place. A build product written beside its inputs is made again, as ld and objcopy
   * leave theirs unflushed too; a flush costs 1-7 ms on a busy machine, a conversion's ~5%.
   */
  durable?: boolean;
}

/**
 * Write a file so that readers see either the old contents or the new, never
 * a torn file, and a failure leaves nothing behind: a temporary file in the
 * same directory (so rename is atomic), then renamed over the target.
 * Writing over the input itself (in == out) is therefore safe.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array,
  mode = 0o644,
  options: AtomicWriteOptions = {},
): Promise<void> {
  // Synchronous calls: five promise-based ones cost five trips through libuv's thread pool, ~7 ms
  // of a small conversion's time idle (CPU profile), with nothing else to do meanwhile.
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.klp-convert.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    for (let done = 0; done < data.length; ) done += writeSync(fd, data, done, data.length - done);
    if (options.durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    // The write's own error is the one to report, whatever cleaning up says.
    try {
      if (fd !== undefined) closeSync(fd);
    } catch {
      // already reporting e
    }
    try {
      rmSync(tmp, { force: true });
    } catch {
      // already reporting e
    }
    throw e;
  }
}
