// ppc64le: copies of modules that klp-convert refuses, made on purpose by
// flipping one instruction around a converted call, so that the suite can
// show what the kernel itself does with them.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { type ElfContents, type ElfRelocInfo, readElfFile, type ShdrInfo } from '../support/elf-bytes.js';

export const R_PPC64_REL24 = 10;
export const R_PPC64_ADDR64 = 38;
export const PPC_NOP = 0x60000000;
/** ori r2,r2,0: harmless, but not the nop restore_r2 wants. */
export const PPC_ORI_R2 = 0x60420000;

export interface Rel24Site {
  section: ShdrInfo;
  relocation: ElfRelocInfo;
  /** File offset of the branch instruction. */
  at: number;
}

/**
 * The REL24 relocations against `symbol` in the relocation section `relaName`,
 * with their instructions' file offsets.
 */
export function rel24Sites(elf: ElfContents, relaName: string, symbol: string): Rel24Site[] {
  const sec = elf.section(relaName);
  if (!sec) throw new Error(`${elf.file}: no section ${relaName}`);
  const target = elf.sections[sec.info];
  if (!target) throw new Error(`${elf.file}: ${relaName} has no target section`);
  return elf
    .relas(sec)
    .filter((r) => r.type === R_PPC64_REL24 && r.symbol.name === symbol)
    .map((r) => ({ section: target, relocation: r, at: target.offset + Number(r.offset) }));
}

function word(file: string, at: number): number {
  return readFileSync(file).readUInt32LE(at);
}

/** Copy `from` to `to` with the little-endian word at `at` passed through `f`; returns [old, new]. */
export function patchWord(from: string, to: string, at: number, f: (w: number) => number): [number, number] {
  const buf = readFileSync(from);
  const old = buf.readUInt32LE(at);
  const now = f(old) >>> 0;
  buf.writeUInt32LE(now, at);
  writeFileSync(to, buf);
  return [old, now];
}

export const isBranch = (w: number): boolean => w >>> 26 === 18;
export const hasLink = (w: number): boolean => (w & 1) === 1;

/**
 * A converted module whose nop after the klp call to `symbol` is replaced
 * by `ori r2,r2,0` (klp-convert refuses this shape; the kernel should too).
 */
export function badNopCopy(converted: string, out: string, symbol: string): { offset: bigint; word: number } {
  const sites = rel24Sites(readElfFile(converted), '.klp.rela.vmlinux..text', symbol);
  const bl = sites.find((s) => isBranch(word(converted, s.at)) && hasLink(word(converted, s.at)));
  if (!bl) throw new Error(`${converted}: no converted bl to ${symbol}`);
  const [old] = patchWord(converted, out, bl.at + 4, () => PPC_ORI_R2);
  if (old !== PPC_NOP)
    throw new Error(`${converted}: the word after the bl to ${symbol} is 0x${old.toString(16)}, not a nop`);
  return { offset: bl.relocation.offset, word: PPC_ORI_R2 };
}

/**
 * The sibling call (`b symbol`) of a raw module, converted by going around
 * klp-convert's refusal: the `b` becomes `bl` in a copy, the copy is
 * converted, and the converted instruction becomes `b` again.
 */
export async function siblingCopy(
  raw: string,
  work: string,
  out: string,
  symbol: string,
  convert: (input: string, output: string) => Promise<void>,
): Promise<{ offset: bigint }> {
  const sites = rel24Sites(readElfFile(raw), '.rela.text', symbol);
  const b = sites.find((s) => isBranch(word(raw, s.at)) && !hasLink(word(raw, s.at)));
  if (!b) throw new Error(`${raw}: no sibling call (b without link) to ${symbol}`);
  const asCall = `${work}.bl.ko`;
  patchWord(raw, asCall, b.at, (w) => w | 1);
  const converted = `${work}.bl.klp.ko`;
  await convert(asCall, converted);
  const klp = rel24Sites(readElfFile(converted), '.klp.rela.vmlinux..text', `.klp.sym.vmlinux.${symbol},0`).find(
    (s) => s.relocation.offset === b.relocation.offset,
  );
  if (!klp) throw new Error(`${converted}: the call at ${b.relocation.offset} was not converted`);
  copyFileSync(converted, out);
  patchWord(converted, out, klp.at, (w) => w & ~1);
  return { offset: b.relocation.offset };
}
