/**
 * Where the fixture modules' undefined symbols live (test/fixtures/src), written
 * once for every test that converts a fixture: in-memory lookups
 * (test/convert/lookup.ts), and the map and Module.symvers files the CLI tests
 * write. A test that needs a different kernel starts from these and says what
 * it changes.
 */

/** Kernel symbols the "livepatch" fixture uses that no one exports, in kallsyms order, by object. */
export const LIVEPATCH_MAP: Readonly<Record<'vmlinux' | 'klpt_target', readonly string[]>> = {
  vmlinux: [
    'saved_command_line', 'boot_command_line', 'total_forks', 'nr_threads', 'nr_processes', 'kallsyms_lookup_name',
    'tracepoint_printk_key', '__SCK__tp_func_sched_switch', 'klpt_target_key', 'klpt_target_fixup',
  ],
  klpt_target: ['klpt_target_secret', 'klpt_target_exported'],
};

/** Kernel symbols of the "annotated" fixture (KLP_SYMPOS): duplicated names are listed once per definition. */
export const ANNOTATED_MAP: Readonly<Record<'vmlinux' | 'klpt_target', readonly string[]>> = {
  vmlinux: [
    'has_steal_clock', 'has_steal_clock', 'last_cmd', 'last_cmd', 'm_show', 'm_show',
    'saved_command_line', 'nr_processes', 'tracepoint_printk_key',
  ],
  klpt_target: ['klpt_dup', 'klpt_dup', 'klp_string.12345'],
};

/** The kernel's exports the fixtures use: name -> exporting object. */
export const VMLINUX_EXPORTS: Readonly<Record<string, string>> = {
  _printk: 'vmlinux',
  pv_ops: 'vmlinux',
  __fentry__: 'vmlinux',
  __x86_return_thunk: 'vmlinux',
  klp_enable_patch: 'vmlinux',
  _mcount: 'vmlinux',
  __stack_chk_fail: 'vmlinux',
  avenrun: 'vmlinux',
};

/** The exports of the "livepatch" fixture's world: the kernel's and klpt_target's one. */
export const LIVEPATCH_EXPORTS: Readonly<Record<string, string>> = {
  ...VMLINUX_EXPORTS,
  klpt_target_exported: 'klpt_target',
};

/** Where each exporting module of the fixtures sits in a kernel tree, as Module.symvers names it. */
const MODULE_PATHS: Readonly<Record<string, string>> = { klpt_target: 'drivers/misc/klpt-target' };

/** `objects` as an upstream klp-convert-symbol-data.0.1 map. */
export function symbolDataText(objects: Readonly<Record<string, readonly string[]>>): string {
  const lines = ['klp-convert-symbol-data.0.1'];
  for (const [object, names] of Object.entries(objects)) lines.push(`*${object}`, ...names);
  return `${lines.join('\n')}\n`;
}

/** `exports` as a Module.symvers (CRCs 0; a module's exports are GPL-only, as klpt_target's are). */
export function symversText(exports: Readonly<Record<string, string>>): string {
  return Object.entries(exports)
    .map(([name, object]) => {
      const path = object === 'vmlinux' ? 'vmlinux' : (MODULE_PATHS[object] ?? object);
      return `0x00000000\t${name}\t${path}\t${object === 'vmlinux' ? 'EXPORT_SYMBOL' : 'EXPORT_SYMBOL_GPL'}\t\n`;
    })
    .join('');
}
