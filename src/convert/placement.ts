/**
 * Where a klp relocation may go: rules of the kernel about the section it
 * lands in (special and init sections, SHT_REL, module-gated vmlinux
 * symbols) and of the architecture's loader (arch-rules.ts).
 */
import { type ElfFile, SHF, SHT } from '../elf/index.js';
import type { DiagnosticLocation, Diagnostics } from './diagnostics.js';
import { objectNameProblem } from './naming.js';
import { archRelocationRule } from './arch-rules.js';
import { isInitSection, specialSectionRule } from './special-sections.js';
import type { ConvertedSymbol, Reference } from './plan-model.js';

/**
 * Check every reference of a converted symbol against the kernel's rules for
 * where klp relocations may live. Returns false (with errors) if any fails.
 */
export function checkPlacement(elf: ElfFile, c: ConvertedSymbol, diags: Diagnostics): boolean {
  let ok = true;
  const objProblem = objectNameProblem(c.gate) ?? objectNameProblem(c.object);
  if (objProblem) {
    diags.error('KLP021', { file: elf.fileName, symbol: c.name }, `symbol '${c.name}': ${objProblem}`);
    return false;
  }
  if (c.gate !== 'vmlinux' && c.object === 'vmlinux') {
    diags.error(
      'KLP040',
      { file: elf.fileName, symbol: c.name },
      `symbol '${c.name}' is in vmlinux but its relocations would be applied when module '${c.gate}' loads; ` +
        'the kernel refuses vmlinux symbols in module-specific klp relocation sections',
      { remedy: `use .klp.sym.rela.vmlinux.vmlinux.${c.name},${c.position} (or let klp-convert place it)` },
    );
    return false;
  }
  const late = c.gate !== 'vmlinux';
  for (let i = 0; i < c.references.length; i++) {
    const ref = c.references[i]!;
    const target = ref.section.infoSection;
    // The loader ignores relocations of non-allocated sections.
    if (!target || (target.flags & SHF.ALLOC) === 0n) continue;
    if (ref.section.type === SHT.REL) {
      const why = 'the kernel applies klp relocations only as SHT_RELA';
      const what = `relocation to '${c.name}' is in an SHT_REL section`;
      diags.error('KLP041', referenceAt(elf, ref, c.name), `${what}; ${why}`);
      ok = false;
      continue;
    }
    if (late) {
      const rule = specialSectionRule(target.name);
      if (rule) {
        const what = `relocation to '${c.name}' of module ${c.gate} in special section '${target.name}'`;
        diags.error('KLP042', referenceAt(elf, ref, c.name), `${what}: ${rule.reason}`, { remedy: rule.remedy });
        ok = false;
        continue;
      }
      if (isInitSection(target.name)) {
        const what = `relocation to '${c.name}' of module ${c.gate} in init section '${target.name}'`;
        const why =
          'init sections are freed after the livepatch loads, ' +
          `before a relocation applied when ${c.gate} loads could be written`;
        const remedy = 'move the reference out of __init code';
        diags.error('KLP043', referenceAt(elf, ref, c.name), `${what}: ${why}`, { remedy });
        ok = false;
        continue;
      }
    }
    const archRule = archRelocationRule(elf.machine, ref.relocation.type);
    const problem = archRule?.check(target, Number(ref.relocation.offset), elf.littleEndian, c.name);
    if (problem) {
      diags.error('KLP044', referenceAt(elf, ref, c.name), problem.reason, { remedy: problem.remedy });
      ok = false;
    }
  }
  return ok;
}

/** Where a message about a reference points; made only for a message (most references have none). */
function referenceAt(elf: ElfFile, ref: Reference, symbol: string): DiagnosticLocation {
  return { file: elf.fileName, section: ref.section.name, relocationOffset: ref.relocation.offset, symbol };
}
