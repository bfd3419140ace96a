/**
 * The in-memory map that `klp-convert symbols` builds before writing it:
 * objects in output order, each with its symbols in kernel counting order.
 */
import { isGlobalKind } from '../nm-letters.js';

export interface MapSymbol {
  name: string;
  /** nm letter. */
  kind: string;
  /** STT_FILE source file for local symbols, when the input has it. */
  file?: string;
  exported?: boolean;
  /** Modules: counted by the kernel only while the module loads (init sections, or not kept in kallsyms). */
  loadOnly?: boolean;
}

export interface MapObject {
  /** 'vmlinux' or the kernel module name. */
  name: string;
  symbols: MapSymbol[];
  /** Whether `symbols` also contains the load-time-only ones (modules read from ELF). */
  loadView: boolean;
}

export interface SymbolMapModel {
  objects: MapObject[];
  /** Free-form provenance lines written as comments (compact format only). Keep them deterministic. */
  comments: string[];
}

/** vmlinux first, then modules by name: stable whatever order the inputs came in. */
export function sortObjects<T extends { name: string }>(objects: T[]): T[] {
  return [...objects].sort((a, b) => compareObjectNames(a.name, b.name));
}

export function compareObjectNames(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'vmlinux') return -1;
  if (b === 'vmlinux') return 1;
  return a < b ? -1 : 1;
}

/**
 * Mark exports: `__ksymtab_<name>` in an object means the object exports
 * <name>; so does a Module.symvers line naming that object. Only global
 * definitions (upper-case nm letter) can be the exported one.
 */
export function markExports(object: MapObject, alsoExported: ReadonlySet<string> = new Set()): void {
  // No copy of alsoExported: it is vmlinux's 10k exports for one object, small sets for the rest,
  // and copying it per object was a third of a whole-distribution run.
  const ksymtab = new Set<string>();
  for (const s of object.symbols) if (s.name.startsWith('__ksymtab_')) ksymtab.add(s.name.slice('__ksymtab_'.length));
  if (ksymtab.size === 0 && alsoExported.size === 0) return;
  for (const s of object.symbols) {
    if ((ksymtab.has(s.name) || alsoExported.has(s.name)) && isGlobalKind(s.kind) && !s.loadOnly) s.exported = true;
  }
}
