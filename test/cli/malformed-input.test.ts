// Malformed modules are the input's fault: a located error and exit 1 or 3,
// never exit 4 ("internal error"), never an output file, never a gigabyte.
// Each case is a real module (the bundled sample) with one field changed
// through the ELF model, then written and given to the real CLI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ElfFile, parseElf, SHF, SHN, writeElf } from '../../src/elf/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'klp-convert.js');
const SAMPLE = join(ROOT, 'symbols-maps', 'sample');

let dir: string;
let maps: string[];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: r.stderr };
}

/** The sample with one change, written to <name>.ko. */
function mutant(name: string, change: (elf: ElfFile) => void): string {
  const bytes = readFileSync(join(SAMPLE, 'klpt_cmdline.ko'));
  const elf = parseElf(new Uint8Array(bytes), `${name}.ko`);
  change(elf);
  const file = join(dir, `${name}.ko`);
  writeFileSync(file, writeElf(elf));
  return file;
}

function section(elf: ElfFile, name: string) {
  const s = elf.sections.find((x) => x.name === name);
  if (!s) throw new Error(`no ${name}`);
  return s;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'klp-malformed-'));
  const kallsyms = readdirSync(SAMPLE).find((f) => f.startsWith('kallsyms-'))!;
  maps = ['-s', join(SAMPLE, kallsyms), '-e', join(SAMPLE, 'Module.symvers.gz')];
});

describe('malformed modules: located errors, no exit 4, no output', () => {
  const cases: [string, (elf: ElfFile) => void, RegExp][] = [
    ['stray-flag', (elf) => void (section(elf, '.rodata.str1.1').flags |= SHF.RELA_LIVEPATCH), /section '\.rodata\.str1\.1': has SHF_RELA_LIVEPATCH but is not named \.klp\.rela\.<object>\.<section>/],
    ['null-section-flag', (elf) => void (elf.sections[0]!.flags |= SHF.RELA_LIVEPATCH), /section '': has SHF_RELA_LIVEPATCH but is not named \.klp\.rela\.<object>\.<section>/],
    ['ordinary-rela-named-klp', (elf) => void (section(elf, '.rela.text').name = '.klp.rela.vmlinux..text'), /section '\.klp\.rela\.vmlinux\.\.text': flags 0x40 lack SHF_ALLOC\|SHF_RELA_LIVEPATCH/],
    ['three-part-klp-name', (elf) => void (section(elf, '.rela.text').name = '.klp.rela.a.b.c'), /section '\.klp\.rela\.a\.b\.c'/],
    [
      'livepatch-symbol-not-klp',
      (elf) => {
        const sym = elf.symbols.find((s) => s.name === 'klpt_cmdline_init' || s.name === 'init_module')!;
        sym.section = null;
        sym.special = SHN.LIVEPATCH;
      },
      /symbol \d+ '(klpt_cmdline_init|init_module)' is SHN_LIVEPATCH but not \.klp\.sym\.<object>\.<name>,<position>/,
    ],
  ];
  for (const [name, change, message] of cases) {
    it(`${name}: exit 1 with the file and section named, nothing written`, () => {
      const input = mutant(name, change);
      const before = readFileSync(input);
      const out = join(dir, `${name}.out.ko`);
      const r = run([...maps, input, out]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`error: \\S*/${name}\\.ko: `));
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(existsSync(out)).toBe(false);
      expect(readFileSync(input).equals(before)).toBe(true);
      // `check` says the same of the input, with the same code and rendering.
      const check = run(['check', input]);
      expect(check.status).toBe(1);
      expect(check.stderr).toMatch(new RegExp(`klp-convert: error: \\S*/${name}\\.ko: .*\\[KLP001\\]`));
    });
  }

  for (const align of [0x40000000n, 0x100000000n]) {
    it(`an sh_addralign of 0x${align.toString(16)} on a rewritten section does not pad the output to it`, () => {
      const input = mutant(`align-${align}`, (elf) => void (section(elf, '.strtab').addralign = align));
      const out = join(dir, `align-${align}.out.ko`);
      const r = run([...maps, input, out]);
      expect(r.status, r.stderr).toBe(0);
      expect(statSync(out).size).toBeLessThan(2 * statSync(input).size);
      expect(run(['check', out]).status).toBe(0);
    });
  }
});
