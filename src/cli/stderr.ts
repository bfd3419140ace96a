/**
 * Text for standard error, written to file descriptor 2 directly.
 *
 * `process.stderr` is a stream Node makes on first use, at ~18 M instructions (cachegrind), ~3.5%
 * of Node's own start-up: more than a conversion's one summary line is worth. A direct write is
 * what that stream does anyway for files, pipes and terminals on Linux (synchronously), so the order
 * against other writes is the same. A descriptor left non-blocking by whoever holds the other end
 * can refuse a write (EAGAIN); the rest of the text then goes through the stream, which waits.
 */
import { writeSync } from 'node:fs';

/** Writes bytes[offset, offset + length) somewhere and says how many bytes it took. */
export type ByteWriter = (bytes: Buffer, offset: number, length: number) => number;

/** All of `bytes` through `write`, which may take part of them at a time; after EAGAIN, the rest to `fallback`. */
export function writeFully(bytes: Buffer, write: ByteWriter, fallback: (rest: Buffer) => void): void {
  let done = 0;
  try {
    while (done < bytes.length) done += write(bytes, done, bytes.length - done);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    fallback(bytes.subarray(done));
  }
}

export function writeStderr(text: string): void {
  writeFully(
    Buffer.from(text, 'utf8'),
    (bytes, offset, length) => writeSync(2, bytes, offset, length),
    (rest) => process.stderr.write(rest),
  );
}
