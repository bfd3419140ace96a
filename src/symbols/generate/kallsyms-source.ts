/**
 * A map from a running kernel's /proc/kallsyms (or a saved copy): it already
 * is the kernel's counting order, per object, so it is taken as is. Modules
 * show only what they keep after init, so no load-time view is known.
 */
import { SymbolMapError, SymbolSourceError } from '../errors.js';
import { isKallsymsPseudoObject } from '../kallsyms-rules.js';
import { kernelModuleName } from '../module-name.js';
import type { MapObject } from './model.js';

export function objectsFromKallsyms(text: string, fileName: string): MapObject[] {
  const objects = new Map<string, MapObject>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') continue;
    const m = /^[0-9a-fA-F]+ (\S) ([^\t]+?)(?:\t\[([^\]]+)\])?$/.exec(line);
    if (!m) throw new SymbolMapError(fileName, i + 1, "expected '<hex address> <type letter> <name>[\\t[<module>]]'");
    const module = m[3];
    if (module !== undefined && isKallsymsPseudoObject(module)) continue;
    const name = module === undefined ? 'vmlinux' : kernelModuleName(module);
    let object = objects.get(name);
    if (!object) objects.set(name, (object = { name, symbols: [], loadView: false }));
    object.symbols.push({ name: m[2]!, kind: m[1]! });
  }
  if (objects.size === 0) throw new SymbolSourceError(`${fileName}: no symbols`);
  return [...objects.values()];
}
