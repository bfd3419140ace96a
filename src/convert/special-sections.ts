/**
 * Sections whose relocations must be in place before the kernel processes
 * them at module load. A relocation to a symbol of another module is applied
 * late (when that module loads, maybe long after the livepatch), so it cannot
 * live in these; one to a vmlinux symbol is applied early, in
 * apply_relocations(), before module_finalize() and jump-label/static-call
 * set-up, so it can.
 */

export interface SpecialSectionRule {
  /** Why a late relocation here is wrong. */
  reason: string;
  /** What the author can do instead. */
  remedy: string;
}

const PROCESSED_AT_LOAD =
  'the kernel processes this section while loading the livepatch, ' +
  'before a relocation to a module symbol could be written';

/** Tables of tracing, probing and test hooks that the kernel registers when a module loads. */
const HOOK_TABLES = [
  '__tracepoints', '__tracepoints_ptrs', '__tracepoints_strings', '_ftrace_events', '_ftrace_eval_map',
  '__bpf_raw_tp_map', '__trace_printk_fmt', '__kprobes_text', '_kprobe_blacklist', '__kunit_suites',
];

/** A rule whose reason is what the kernel does with `sections` at load, then why that is too early. */
const rule = (sections: RegExp, atLoad: string, remedy: string): [RegExp, SpecialSectionRule] => [
  sections,
  { reason: `${atLoad}; ${PROCESSED_AT_LOAD}`, remedy },
];

const rules: [RegExp, SpecialSectionRule][] = [
  rule(
    /^__jump_table$/,
    'static branch entries are registered at load (jump_label_add_module)',
    "test the module's key with static_key_enabled() instead of static_branch_*()",
  ),
  rule(
    /^\.static_call_sites$/,
    'static call sites are patched at load (static_call_add_module)',
    "call the module's function through a pointer instead of static_call()",
  ),
  rule(
    /^\.altinstructions$|^\.altinstr_replacement$|^\.alternative$/,
    'alternatives are applied at load (apply_alternatives)',
    'keep references to module symbols out of alternative() code',
  ),
  rule(
    /^\.parainstructions$/,
    'paravirt patch sites are applied at load (apply_paravirt)',
    'keep references to module symbols out of paravirt call sites',
  ),
  rule(
    /^__bug_table$/,
    'BUG/WARN entries are registered at load (module_bug_finalize)',
    'avoid WARN()/BUG() sites whose table entry refers to a module symbol',
  ),
  rule(
    /^__ex_table$/,
    'exception tables are sorted at load (module_sort_ex_table)',
    'move the faulting access into a function of the livepatch itself',
  ),
  rule(
    /^\.orc_unwind(_ip)?$|^\.orc_header$/,
    'ORC unwind tables are sorted at load (unwind_module_init)',
    'do not reference module symbols from unwind data',
  ),
  rule(
    /^\.smp_locks$/,
    'lock prefixes are patched at load (alternatives_smp_module_add)',
    'keep references to module symbols out of LOCK_PREFIX sites',
  ),
  rule(
    /^\.retpoline_sites$|^\.return_sites$|^\.call_sites$|^\.ibt_endbr_seal$|^\.cfi_sites$/,
    'call/return thunks are patched at load (apply_retpolines, apply_returns)',
    'rebuild without referencing module symbols from these sites',
  ),
  rule(
    /^__mcount_loc$|^__patchable_function_entries$/,
    'ftrace call sites are recorded at load (ftrace_module_init)',
    'do not reference module symbols from ftrace call-site tables',
  ),
  rule(
    new RegExp(`^(${HOOK_TABLES.join('|')})$`),
    'this table is registered at load',
    'do not define tracepoints or similar tables that refer to module symbols in a livepatch',
  ),
  rule(
    /^__ksymtab|^__kcrctab|^__param$|^__modver$|^\.gnu\.linkonce\.this_module$/,
    'module metadata is read at load',
    'do not export or register module symbols of another module from a livepatch',
  ),
];

/** Answers by section name: a module has few target sections and may have thousands of relocations in them. */
const ruleByName = new Map<string, SpecialSectionRule | null>();
const MAX_REMEMBERED = 4096;

/** The rule that forbids late (module-gated) relocations in `section`, if any. */
export function specialSectionRule(section: string): SpecialSectionRule | undefined {
  let found = ruleByName.get(section);
  if (found === undefined) {
    found = rules.find(([re]) => re.test(section))?.[1] ?? null;
    if (ruleByName.size >= MAX_REMEMBERED) ruleByName.clear(); // a long-lived library user stays bounded
    ruleByName.set(section, found);
  }
  return found ?? undefined;
}

/**
 * Init sections (the loader's rule: the name starts with ".init") are freed
 * once the livepatch module's init returns; a relocation to a module symbol
 * may be written long after that.
 */
export function isInitSection(section: string): boolean {
  return section.startsWith('.init');
}
