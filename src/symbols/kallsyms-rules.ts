/**
 * Which vmlinux symbols the kernel's kallsyms table holds, and in what order.
 *
 * These are facts about the kernel build (scripts/mksysmap filters `nm -n`
 * output, scripts/kallsyms filters again and sorts), restated here in our own
 * terms so that a map generated from a vmlinux ELF or a System.map lists
 * exactly what /proc/kallsyms lists, in the same order. Only the relative order
 * of same-named symbols decides a sympos, and same-named symbols at the same
 * address resolve to the same place, so the tie rules below matter for
 * byte-identical output rather than for correctness.
 */

/** Exact names kallsyms never records: its own tables and ppc linker bases. */
const IGNORED_NAMES: ReadonlySet<string> = new Set([
  'kallsyms_addresses',
  'kallsyms_offsets',
  'kallsyms_relative_base',
  'kallsyms_num_syms',
  'kallsyms_names',
  'kallsyms_markers',
  'kallsyms_token_table',
  'kallsyms_token_index',
  'kallsyms_seqs_of_names',
  '_SDA_BASE_',
  '_SDA2_BASE_',
]);

/** Name prefixes dropped before or by kallsyms (compiler labels, CRCs, export strings, arch thunks). */
const IGNORED_PREFIXES: readonly string[] = [
  '$', // ARM/arm64 mapping symbols ($a, $d, $t, $x)
  '.L', // assembler-local labels that survived into the symtab
  '__crc_',
  '__kstrtab', // __kstrtab_ and __kstrtabns_
  '__efistub_',
  '__kvm_nvhe_$',
  '__kvm_nvhe_.L',
  '__AArch64ADRPThunk_',
  '__ARMV5PILongThunk_',
  '__ARMV7PILongThunk_',
  '__ThumbV7PILongThunk_',
  '__LA25Thunk_',
  '__microLA25Thunk_',
  '__kcfi_typeid_',
];

const IGNORED_SUFFIXES: readonly string[] = ['_from_arm', '_from_thumb', '_veneer'];
const IGNORED_INFIXES: readonly string[] = ['.long_branch.', '.plt_branch.'];

/** Absolute symbols kallsyms keeps despite dropping all others (ia64 gate page and gp). */
const KEPT_ABSOLUTE: ReadonlySet<string> = new Set([
  '__kernel_syscall_via_break',
  '__kernel_syscall_via_epc',
  '__kernel_sigtramp',
  '__gp',
]);

/** The names only a System.map (never /proc/kallsyms) contains: how we tell the two apart. */
export const SYSTEM_MAP_ONLY_NAMES: readonly string[] = ['kallsyms_num_syms', 'kallsyms_names', 'kallsyms_token_table'];

/**
 * The bracketed "modules" of /proc/kallsyms that are no objects a livepatch
 * can target: BPF programs (`[bpf]`) and ftrace/kprobe trampolines
 * (`[__builtin__ftrace]`, `[__builtin__kprobes]`). Their lines are skipped.
 */
export function isKallsymsPseudoObject(module: string): boolean {
  return module === 'bpf' || module.startsWith('__builtin__');
}

/** Whether vmlinux's kallsyms table leaves out a symbol with this name and nm letter. */
export function kallsymsDrops(name: string, kind: string): boolean {
  switch (kind) {
    case 'U':
    case 'u':
    case 'w': // nm's lowercase w/v are undefined weak references
    case 'v':
    case 'N':
    case 'n':
      return true;
    case 'A':
    case 'a':
      if (!KEPT_ABSOLUTE.has(name)) return true;
  }
  if (IGNORED_NAMES.has(name)) return true;
  for (const p of IGNORED_PREFIXES) if (name.startsWith(p)) return true;
  for (const s of IGNORED_SUFFIXES) if (name.endsWith(s)) return true;
  for (const m of IGNORED_INFIXES) if (name.includes(m)) return true;
  return false;
}

/**
 * Symbols that a linker script probably defined (section bounds): kallsyms puts them after real symbols at the
 * same address.
 */
export function looksLinkerProvided(name: string): boolean {
  if (name.length < 8 || !name.startsWith('__')) return false;
  return (
    name.startsWith('__start_') ||
    name.startsWith('__stop_') ||
    name.startsWith('__end_') ||
    name.endsWith('_start') ||
    name.endsWith('_end')
  );
}

function leadingUnderscores(name: string): number {
  let n = 0;
  while (n < name.length && name.charCodeAt(n) === 0x5f) n++;
  return n;
}

export interface OrderableSymbol {
  name: string;
  kind: string;
  address: bigint;
}

/**
 * Compare two vmlinux symbols the way kallsyms orders its table: by address;
 * at equal addresses non-weak (nm W/w) first, then symbols not looking
 * linker-provided, then fewer leading underscores, then `nm -n` order (name,
 * byte-wise), with `tieBreak` (e.g. symtab index) last for stability.
 */
export function compareKallsymsOrder(a: OrderableSymbol, b: OrderableSymbol, tieBreak: number): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  const wa = a.kind === 'W' || a.kind === 'w' ? 1 : 0;
  const wb = b.kind === 'W' || b.kind === 'w' ? 1 : 0;
  if (wa !== wb) return wa - wb;
  const la = looksLinkerProvided(a.name) ? 1 : 0;
  const lb = looksLinkerProvided(b.name) ? 1 : 0;
  if (la !== lb) return la - lb;
  const ua = leadingUnderscores(a.name);
  const ub = leadingUnderscores(b.name);
  if (ua !== ub) return ua - ub;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return tieBreak;
}
