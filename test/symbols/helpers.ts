/** Temp-file helpers for the symbol-map tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';

/** A temp directory removed after the test file finishes. */
export function tempDir(prefix = 'klp-symbols-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let counter = 0;
/** Write `text` (gzipped when `gz`) to a fresh file in `dir`; returns its path. */
export function writeTemp(dir: string, name: string, text: string | Uint8Array, gz = false): string {
  const path = join(dir, `${counter++}-${name}${gz ? '.gz' : ''}`);
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  writeFileSync(path, gz ? gzipSync(bytes) : bytes);
  return path;
}

/** Lines joined with '\n' plus a final newline, so fixtures read like files. */
export function lines(...l: string[]): string {
  return `${l.join('\n')}\n`;
}
