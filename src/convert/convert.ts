import { type ElfFile, writeElf } from '../elf/index.js';
import { type ApplyResult, applyPlan } from './apply.js';
import { ConversionFailed, type Diagnostic, Diagnostics } from './diagnostics.js';
import {
  type CandidateScan, type Plan, planConversion, type PlanOptions, scanCandidates, wantedNames,
} from './plan.js';
import type { PositionHintInput, SymbolLookup } from './symbol-source.js';
import { withSuggestions } from './suggestions.js';
import { checkLivepatchElf, hasLivepatchModinfo, livepatchRuleViolations } from './verify.js';

/** Appended by scripts/sign-file; any edit of the ELF invalidates it. */
const SIGNATURE_MAGIC = '~Module signature appended~\n';

export interface ConversionResult {
  /** The bytes to write; identical to the input when nothing needed converting. */
  output: Uint8Array;
  changed: boolean;
  plan: Plan;
  applied: ApplyResult | null;
  diagnostics: Diagnostic[];
}

export { type CandidateScan, scanCandidates };

/**
 * Names of the undefined symbols the maps must be searched for. A caller that converts the same model
 * next passes it the scan, so the relocations are gone through once (see convertElf).
 */
export function symbolsToLookUp(elf: ElfFile, scan?: CandidateScan): Set<string> {
  return wantedNames(elf, scan);
}

/**
 * Convert one parsed module. Throws ConversionFailed with every error found
 * (nothing is half-converted: the caller writes nothing). `scan`, when given,
 * is scanCandidates(elf) of this model as it is now (unedited since).
 */
export function convertElf(
  elf: ElfFile,
  input: Uint8Array,
  lookup: SymbolLookup,
  hints: readonly PositionHintInput[],
  options: PlanOptions,
  scan?: CandidateScan,
): ConversionResult {
  const diags = new Diagnostics();
  // What we write must pass the kernel's rules; an input that already breaks
  // them (a stray SHF_RELA_LIVEPATCH, an ordinary section named .klp.rela.*,
  // an SHN_LIVEPATCH symbol that is no .klp.sym) is the input's fault, and no
  // conversion would mend it.
  const inputProblems = livepatchRuleViolations(elf);
  if (inputProblems.length > 0) {
    const remedy = "the input already breaks the kernel's rules for livepatch modules; rebuild it";
    throw new ConversionFailed(inputProblems.map((p) => ({ ...p, remedy })));
  }
  if (!hasLivepatchModinfo(elf)) {
    const why = "the kernel will not load it as a livepatch (add MODULE_INFO(livepatch, \"Y\"))";
    diags.warning('KLP003', { file: elf.fileName }, `.modinfo has no 'livepatch=Y'; ${why}`);
  }
  if (!elf.symtab) {
    diags.error('KLP002', { file: elf.fileName }, 'no symbol table (.symtab); is this a stripped or non-module file?');
  }
  const plan = planConversion(elf, lookup, hints, options, diags, scan);
  if (diags.errors.length > 0) throw new ConversionFailed(withSuggestions(diags.items, lookup));

  const nothingToDo =
    plan.converted.length === 0 && plan.removeSections.size === 0 && plan.removeRelocations.size === 0;
  if (nothingToDo) {
    return { output: input, changed: false, plan, applied: null, diagnostics: diags.items };
  }
  const applied = applyPlan(elf, plan);
  const trailerEnd = Buffer.from(elf.trailer.subarray(-SIGNATURE_MAGIC.length)).toString('latin1');
  if (elf.trailer.length > 0 && trailerEnd === SIGNATURE_MAGIC) {
    elf.trailer = new Uint8Array(0);
    const what = 'the module signature no longer matches and was removed; sign the converted module again';
    diags.warning('KLP004', { file: elf.fileName }, what);
  }
  // Our own output must pass the kernel's rules; a failure here is a bug in klp-convert. Checked on
  // the model about to be written, not on the written bytes parsed again: that parse touched ~450
  // fresh pages (of 3,875 page faults converting the bundled sample) and took ~13 ms of its ~159.
  // The bytes the writer makes of a model are checked in the tests, where every in-process
  // conversion parses its output again and checks it (test/support/check-written-bytes.ts).
  const problems = checkLivepatchElf(elf);
  if (problems.length > 0) {
    const message = 'internal error: the converted module breaks kernel rules';
    const bug: Diagnostic = { severity: 'error', code: 'KLP099', message, notes: problems, internal: true };
    throw new ConversionFailed([...diags.items, bug]);
  }
  const output = writeElf(elf);
  return { output, changed: true, plan, applied, diagnostics: diags.items };
}
