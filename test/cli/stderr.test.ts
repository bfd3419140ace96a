// Standard error written to fd 2 directly (src/cli/stderr.ts): every byte, in order, whatever
// the descriptor takes at a time, and the stream as the way out when the descriptor would block.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type ByteWriter, writeFully } from '../../src/cli/stderr.js';

function collector(takeAtMost: number, failAfter = Infinity) {
  const taken: Buffer[] = [];
  let calls = 0;
  const write: ByteWriter = (bytes, offset, length) => {
    if (++calls > failAfter) throw Object.assign(new Error('would block'), { code: 'EAGAIN' });
    const n = Math.min(length, takeAtMost);
    taken.push(Buffer.from(bytes.subarray(offset, offset + n)));
    return n;
  };
  return { taken, write };
}

describe('writeFully', () => {
  const text = Buffer.from('klp-convert: converted 6 relocations to 2 symbols in vmlinux (out.ko) \u2713\n');

  it('writes everything when the descriptor takes a few bytes at a time', () => {
    const c = collector(7);
    writeFully(text, c.write, () => expect.unreachable('no fallback without EAGAIN'));
    expect(Buffer.concat(c.taken).equals(text)).toBe(true);
    expect(c.taken.length).toBe(Math.ceil(text.length / 7));
  });

  it('hands what is left to the fallback when the descriptor would block', () => {
    const c = collector(10, 2);
    const rest: Buffer[] = [];
    writeFully(text, c.write, (r) => rest.push(Buffer.from(r)));
    expect(Buffer.concat(c.taken).length).toBe(20);
    expect(Buffer.concat([...c.taken, ...rest]).equals(text)).toBe(true);
  });

  it('lets any other error through', () => {
    const write: ByteWriter = () => {
      throw Object.assign(new Error('bad descriptor'), { code: 'EBADF' });
    };
    expect(() => writeFully(text, write, () => undefined)).toThrow('bad descriptor');
  });
});

describe('the CLI on standard error', () => {
  it('still reports an error on a pipe, and prints nothing on standard output', () => {
    const r = spawnSync(process.execPath, ['bin/klp-convert.js', 'no-such.ko', 'out.ko'], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^klp-convert: error: .*no-such\.ko/);
    expect(r.stdout).toBe('');
  });
});
