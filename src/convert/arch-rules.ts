/**
 * Rules a relocation against a livepatch (.klp.sym) symbol must satisfy on
 * one architecture because of how that architecture's module loader applies
 * it: the loader sees only the relocation and the code around it, and some
 * code shapes it cannot make work. One table, read both while converting
 * (plan) and when checking a module (verify), so the two cannot disagree.
 */
import { EM, type Section } from '../elf/index.js';

export interface ArchRelocationProblem {
  /** What is wrong and what the kernel does with it. */
  reason: string;
  /** What the author can do instead. */
  remedy: string;
}

export interface ArchRelocationRule {
  machine: number;
  /** Relocation types the rule looks at. */
  types: ReadonlySet<number>;
  /** A problem with the code at `offset` of `target`, or undefined. */
  check(target: Section, offset: number, littleEndian: boolean, symbol: string): ArchRelocationProblem | undefined;
}

const R_PPC64_REL24 = 10;
const PPC_NOP = 0x60000000; // ori r0,r0,0

function word(target: Section, at: number, littleEndian: boolean): number | undefined {
  if (at < 0 || at + 4 > target.data.length) return undefined;
  return new DataView(target.data.buffer, target.data.byteOffset, target.data.byteLength).getUint32(at, littleEndian);
}

/**
 * ppc64 (ELFv1 and ELFv2): a REL24 branch to a symbol outside the module goes
 * through a stub the loader writes, which loads the callee's TOC into r2.
 * - `bl` (link): the loader rewrites the `nop` after it into `ld r2,24(r1)`
 *   to restore the caller's TOC (restore_r2). Without that nop it refuses
 *   the module: "Expected nop after call, got ...".
 * - `b` (no link, a sibling or tail call): the loader accepts it and restores
 *   nothing, so the callee returns to our caller with the callee's r2; the
 *   next TOC access or stub call of livepatch code jumps through the wrong
 *   TOC (seen on 6.1 under qemu: an instruction fetch at 0 right after the
 *   call returned). A livepatch cannot know who calls its functions, so such
 *   a branch to a livepatch-resolved symbol is refused.
 */
const ppc64Rel24: ArchRelocationRule = {
  machine: EM.PPC64,
  types: new Set([R_PPC64_REL24]),
  check(target, offset, littleEndian, symbol) {
    const insn = word(target, offset, littleEndian);
    if (insn === undefined) {
      return { reason: `the R_PPC64_REL24 to '${symbol}' is outside its section`, remedy: 'rebuild the module' };
    }
    const primaryOpcode = insn >>> 26;
    if (primaryOpcode !== 18) {
      return {
        reason:
          `the R_PPC64_REL24 to '${symbol}' is on instruction 0x${insn.toString(16).padStart(8, '0')}, ` +
          'not a b/bl; the loader can only route a b/bl through a stub',
        remedy: 'call the function with an ordinary C call',
      };
    }
    if ((insn & 1) === 0) {
      return {
        reason:
          `sibling call to '${symbol}' (R_PPC64_REL24 on a 'b' without link): ` +
          "the loader routes it through a stub that sets r2 to the callee's TOC and nothing restores " +
          "the livepatch's r2 when the callee returns to its caller; " +
          'the kernel loads such a module, and it crashes on the next TOC access',
        remedy:
          'make it a real call: build the function with -fno-optimize-sibling-calls, ' +
          "or use the callee's result before returning",
      };
    }
    if (word(target, offset + 4, littleEndian) !== PPC_NOP) {
      return {
        reason:
          `call to '${symbol}' (R_PPC64_REL24) is not followed by a nop; ` +
          'the kernel needs one to restore r2 after calling through a livepatch stub ("Expected nop after call")',
        remedy: 'the call must be a global-entry call: do not make the callee visible as a local function',
      };
    }
    return undefined;
  },
};

const rules: readonly ArchRelocationRule[] = [ppc64Rel24];

/** Whether any rule is for `machine` (most machines have none: then no relocation needs its code read). */
export function hasArchRules(machine: number): boolean {
  return rules.some((r) => r.machine === machine);
}

/** The rule for a relocation type on a machine, if any. */
export function archRelocationRule(machine: number, type: number): ArchRelocationRule | undefined {
  // An index loop, not find() or for-of: asked once a relocation, and each would allocate (a closure, an iterator).
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.machine === machine && r.types.has(type)) return r;
  }
  return undefined;
}
