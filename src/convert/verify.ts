import { type ElfFile, SHF, SHN, SHT } from '../elf/index.js';
import { archRelocationRule } from './arch-rules.js';
import { hex } from './diagnostics.js';
import { KLP_RELA_PREFIX, klpRelaObject, parseKlpSymbolName } from './naming.js';

/**
 * Check a livepatch module against the rules the kernel applies when it
 * loads it (kernel/livepatch/core.c, kernel/module/main.c). Used on our own
 * output before it is written, and by `klp-convert check`.
 * Returns one line per violation; empty means the kernel will accept the format.
 */
export function checkLivepatchElf(elf: ElfFile): string[] {
  const problems: string[] = [];
  const at = (s: string): string => `${elf.fileName}: section '${s}'`;
  for (const s of elf.sections) {
    const obj = klpRelaObject(s.name);
    if (obj === undefined) {
      if (s.name.startsWith(KLP_RELA_PREFIX)) problems.push(`${at(s.name)}: name is not .klp.rela.<object>.<section>`);
      if ((s.flags & SHF.RELA_LIVEPATCH) !== 0n) problems.push(`${at(s.name)}: has SHF_RELA_LIVEPATCH but is not named .klp.rela.<object>.<section>`);
      continue;
    }
    if (s.type !== SHT.RELA) problems.push(`${at(s.name)}: type is not SHT_RELA`);
    const need = SHF.ALLOC | SHF.RELA_LIVEPATCH;
    // Without SHF_RELA_LIVEPATCH the loader applies it as a plain RELA against st_value 0;
    // without SHF_ALLOC a module-specific section is read after it was freed.
    if ((s.flags & need) !== need) problems.push(`${at(s.name)}: flags ${hex(s.flags)} lack SHF_ALLOC|SHF_RELA_LIVEPATCH`);
    if (s.link !== elf.symtab) problems.push(`${at(s.name)}: sh_link is not the symbol table`);
    if (!s.infoSection) problems.push(`${at(s.name)}: sh_info names no target section`);
    for (const [k, r] of (s.relocations ?? []).entries()) {
      const sym = r.symbol;
      const where = `${at(s.name)}: relocation ${k} (offset ${hex(r.offset)})`;
      if (sym.special !== SHN.LIVEPATCH || sym.section) {
        problems.push(`${where}: symbol '${sym.name}' is not marked SHN_LIVEPATCH`);
        continue;
      }
      const parsed = parseKlpSymbolName(sym.name);
      if (!parsed) problems.push(`${where}: symbol '${sym.name}' is not .klp.sym.<object>.<name>,<position>`);
      else if (obj !== 'vmlinux' && parsed.object === 'vmlinux') problems.push(`${where}: vmlinux symbol '${sym.name}' in a module-specific klp section`);
      const target = s.infoSection;
      const problem = target && archRelocationRule(elf.machine, r.type)?.check(target, Number(r.offset), elf.littleEndian, sym.name);
      if (problem) problems.push(`${where}: ${problem.reason}`);
    }
  }
  for (const sym of elf.symbols) {
    if (sym.special === SHN.LIVEPATCH && !sym.section && !parseKlpSymbolName(sym.name)) {
      problems.push(`${elf.fileName}: symbol ${sym.index} '${sym.name}' is SHN_LIVEPATCH but not .klp.sym.<object>.<name>,<position>`);
    }
  }
  return problems;
}

/** How many klp relocation sections a module has (for `check`'s summary). */
export function klpRelaSectionCount(elf: ElfFile): number {
  return elf.sections.filter((s) => s.name.startsWith(KLP_RELA_PREFIX)).length;
}

/** `livepatch=Y` in .modinfo: without it the kernel refuses the module as a livepatch. */
export function hasLivepatchModinfo(elf: ElfFile): boolean {
  const modinfo = elf.sections.find((s) => s.name === '.modinfo');
  if (!modinfo) return false;
  const text = Buffer.from(modinfo.data.buffer, modinfo.data.byteOffset, modinfo.data.byteLength).toString('latin1');
  return text.split('\0').includes('livepatch=Y');
}
