/**
 * A module's symbols as the kernel counts them for sympos.
 *
 * The livepatch resolver walks the module's kallsyms symtab in order and
 * skips undefined entries. After the module's init has run that symtab is the
 * "core" copy, which keeps only named symbols defined in SHF_ALLOC sections
 * that are not init sections (and, without CONFIG_KALLSYMS_ALL, only
 * executable ones; per-CPU symbols are kept with KALLSYMS_ALL). While the
 * module is still loading (a livepatch loaded earlier is applied at that
 * moment) the walk covers the full symtab. We list both views: core symbols
 * plainly, the others flagged loadOnly.
 */
import { SHF, SHN } from '../../elf/index.js';
import { kernelModuleName, moduleNameFromPath } from '../module-name.js';
import type { ElfSymbolRecord, ElfSymbols } from './elf-symbols.js';
import type { MapObject, MapSymbol } from './model.js';

export interface ModuleOptions {
  /** The target kernel has CONFIG_KALLSYMS_ALL (distributions do). */
  kallsymsAll: boolean;
  /** The target kernel has CONFIG_MODULE_UNLOAD (else .exit sections are discarded like .init ones). */
  moduleUnload: boolean;
}

export const DEFAULT_MODULE_OPTIONS: ModuleOptions = { kallsymsAll: true, moduleUnload: true };

const PERCPU_SECTION = '.data..percpu';

function isInitSection(name: string, opts: ModuleOptions): boolean {
  return name.startsWith('.init') || (!opts.moduleUnload && name.startsWith('.exit'));
}

/** Whether the kernel keeps this (defined, named) symbol in the module's kallsyms after init. */
function keptAfterInit(sym: ElfSymbolRecord, opts: ModuleOptions): boolean {
  return sectionKeptAfterInit(sym.section, opts);
}

/** keptAfterInit for every symbol defined in `sec` (null: SHN_ABS, SHN_COMMON, ...). */
export function sectionKeptAfterInit(sec: { name: string; flags: bigint } | null, opts: ModuleOptions): boolean {
  if (sec === null) return false; // SHN_ABS, SHN_COMMON, ... are >= e_shnum for the kernel
  if (opts.kallsymsAll && sec.name === PERCPU_SECTION) return true;
  // The loader clears SHF_ALLOC on .modinfo and __versions before it builds the
  // module's kallsyms (rewrite_section_headers), whatever the file says.
  if (sec.name === '.modinfo' || sec.name === '__versions') return false;
  if ((sec.flags & SHF.ALLOC) === 0n) return false;
  if (!opts.kallsymsAll && (sec.flags & SHF.EXECINSTR) === 0n) return false;
  return !isInitSection(sec.name, opts);
}

/** The kernel's name for a module: `.modinfo` name= (what modpost recorded), else from the file name. */
export function moduleNameOf(elf: ElfSymbols, fileName: string): string {
  return moduleNameFromModinfo(elf.modinfo, fileName);
}

export function moduleNameFromModinfo(modinfo: readonly string[], fileName: string): string {
  const entry = modinfo.find((s) => s.startsWith('name='));
  if (entry !== undefined && entry.length > 5) return kernelModuleName(entry.slice(5));
  return moduleNameFromPath(fileName);
}

export function moduleObject(
  elf: ElfSymbols,
  fileName: string,
  opts: ModuleOptions = DEFAULT_MODULE_OPTIONS,
): MapObject {
  const symbols: MapSymbol[] = [];
  for (const sym of elf.symbols) {
    if (sym.name === '' || (sym.section === null && sym.special === SHN.UNDEF)) continue;
    const entry: MapSymbol = { name: sym.name, kind: sym.kind };
    if (sym.file !== undefined) entry.file = sym.file;
    if (!keptAfterInit(sym, opts)) entry.loadOnly = true;
    symbols.push(entry);
  }
  return { name: moduleNameOf(elf, fileName), symbols, loadView: true };
}
