/**
 * Names the kernel's livepatch core parses (kernel/livepatch/core.c):
 * relocation sections `.klp.rela.<obj>.<section>` read with `%55[^.]`, and
 * symbols `.klp.sym.<obj>.<name>,<pos>` read with `%55[^.].%511[^,],%lu`.
 */

export const KLP_RELA_PREFIX = '.klp.rela.';
export const KLP_SYM_PREFIX = '.klp.sym.';
/** Lukas Hruska's in-source annotation: `.klp.sym.rela.<lp_obj>.<sym_obj>.<sym>,<pos>`. */
export const KLP_SYM_RELA_PREFIX = '.klp.sym.rela.';
/** KLP_MODULE_RELOC(obj) annotation sections and their relocations. */
export const KLP_MODULE_RELOCS_PREFIX = '.klp.module_relocs.';

/** MODULE_NAME_LEN is 64 - sizeof(unsigned long); the kernel reads at most 55 characters. */
export const MAX_OBJECT_NAME = 55;
/** KSYM_NAME_LEN is 512 since 6.1; the kernel reads at most 511 characters. */
export const MAX_SYMBOL_NAME = 511;

/** The kernel's module name ('-' and ',' become '_'): one definition, shared with the map readers. */
export { kernelModuleName } from '../symbols/module-name.js';

// Regular expressions the checks below test with, made once: a literal in the function body is a new
// RegExp object at every call, and the checks run for each of thousands of symbols.
const SPACE_OR_COMMA = /[\s,]/;
const DECIMAL = /^[0-9]+$/;

/** Why `obj` cannot name a livepatch object, or undefined if it can. */
export function objectNameProblem(obj: string): string | undefined {
  if (obj.length === 0) return 'the object name is empty';
  if (obj.length > MAX_OBJECT_NAME) {
    return `object name '${obj}' is ${obj.length} bytes; the kernel reads at most ${MAX_OBJECT_NAME}`;
  }
  if (obj.includes('.')) return `object name '${obj}' contains '.', which ends the name when the kernel parses it`;
  if (SPACE_OR_COMMA.test(obj)) return `object name '${obj}' contains a space or ','`;
  return undefined;
}

/** Why `name` cannot be written into a klp symbol name, or undefined if it can. */
export function symbolNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the symbol name is empty';
  if (name.length > MAX_SYMBOL_NAME) {
    const shown = `${name.slice(0, 40)}...`;
    return `symbol name '${shown}' is ${name.length} bytes; the kernel reads at most ${MAX_SYMBOL_NAME}`;
  }
  if (name.includes(',')) return `symbol name '${name}' contains ',', which ends the name when the kernel parses it`;
  return undefined;
}

export function klpSymbolName(obj: string, name: string, pos: number): string {
  return `${KLP_SYM_PREFIX}${obj}.${name},${pos}`;
}

export function klpRelaSectionName(obj: string, target: string): string {
  return `${KLP_RELA_PREFIX}${obj}.${target}`;
}

export interface KlpSymbolName {
  object: string;
  name: string;
  position: number;
}

/** Parse `.klp.sym.<obj>.<name>,<pos>` the way the kernel does; undefined if it would reject it. */
export function parseKlpSymbolName(full: string): KlpSymbolName | undefined {
  if (!full.startsWith(KLP_SYM_PREFIX)) return undefined;
  return parseObjNamePos(full, KLP_SYM_PREFIX.length);
}

/**
 * `<obj>.<name>,<pos>` from `from` on: obj up to the first '.', name up to the first ',', pos decimal.
 * Found by offsets in `text`, not in slices of slices: the output check parses every .klp.sym name.
 */
function parseObjNamePos(text: string, from: number): KlpSymbolName | undefined {
  const dot = text.indexOf('.', from);
  if (dot <= from) return undefined;
  const object = text.slice(from, dot);
  const comma = text.indexOf(',', dot + 1);
  if (comma <= dot + 1) return undefined;
  const name = text.slice(dot + 1, comma);
  const posText = text.slice(comma + 1);
  if (!DECIMAL.test(posText)) return undefined;
  const position = Number(posText);
  if (!Number.isSafeInteger(position)) return undefined;
  if (objectNameProblem(object) || symbolNameProblem(name)) return undefined;
  return { object, name, position };
}

export interface KlpSymRelaName extends KlpSymbolName {
  /** The object whose loading applies the relocation (names the .klp.rela section). */
  patchedObject: string;
}

/** Parse `.klp.sym.rela.<lp_obj>.<sym_obj>.<sym>,<pos>`; undefined if malformed. */
export function parseKlpSymRelaName(full: string): KlpSymRelaName | undefined {
  if (!full.startsWith(KLP_SYM_RELA_PREFIX)) return undefined;
  const rest = full.slice(KLP_SYM_RELA_PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot <= 0) return undefined;
  const patchedObject = rest.slice(0, dot);
  if (objectNameProblem(patchedObject)) return undefined;
  const inner = parseObjNamePos(rest, dot + 1);
  return inner && { ...inner, patchedObject };
}

/** The object part of a `.klp.rela.<obj>.<sec>` section name, or undefined. */
export function klpRelaObject(sectionName: string): string | undefined {
  if (!sectionName.startsWith(KLP_RELA_PREFIX)) return undefined;
  const rest = sectionName.slice(KLP_RELA_PREFIX.length);
  const dot = rest.indexOf('.');
  return dot > 0 ? rest.slice(0, dot) : undefined;
}
