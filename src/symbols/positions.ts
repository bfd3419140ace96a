/**
 * Reader for the positions file: how an author who cannot annotate the
 * source says which definition a name means.
 *
 *     saved_command_line: vmlinux                        # object only
 *     has_steal_clock: { object: vmlinux, position: 2 }  # exact kallsyms position
 *     m_show: { object: vmlinux, file: fs/proc/task_mmu.c }  # by source file
 *     driver_name: { object: test_mod, type: object }    # by symbol type
 *
 * `position` is the 1-based kallsyms rank (0 asserts the name is unique);
 * `file` matches a definition's source file by basename or path suffix;
 * `type` is `func` or `object`.
 */
import { kernelModuleName } from './module-name.js';
import { readInput } from './read-input.js';
import type { PositionHint } from './types.js';
import {
  type ParsedYaml,
  expectInteger,
  expectString,
  keyString,
  loadYamlLibrary,
  parseYaml,
  yamlLibrary,
} from './yaml-support.js';

const HINT_KEYS = new Set(['object', 'position', 'file', 'type']);

/** Parse positions-file text; the yaml package must be loaded (loadPositions does it). */
export function parsePositions(text: string, file: string): PositionHint[] {
  const { isMap, isScalar } = yamlLibrary();
  const y: ParsedYaml = parseYaml(text, file);
  const root = y.doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) {
    y.fail(root, 'a positions file must map symbol names to an object or to { object, position, file, type }');
  }
  const hints: PositionHint[] = [];
  for (const pair of root.items) {
    const name = keyString(y, pair, 'a symbol name');
    const origin = { file, line: y.lineOf(pair) };
    const value = pair.value;
    if (isScalar(value) && typeof value.value === 'string' && value.value !== '') {
      hints.push({ name, object: kernelModuleName(value.value), origin });
      continue;
    }
    if (!isMap(value)) y.fail(pair, `'${name}' needs an object name or a mapping { object, position, file, type }`);
    const hint: PositionHint = { name, origin };
    for (const p of value.items) {
      const key = keyString(y, p, 'a key');
      if (!HINT_KEYS.has(key)) y.fail(p, `unknown key '${key}' for '${name}' (expected object, position, file, type)`);
      switch (key) {
        case 'object':
          hint.object = kernelModuleName(expectString(y, p.value, "'object'", p));
          break;
        case 'position':
          hint.position = expectInteger(y, p.value, "'position'", 0, p);
          break;
        case 'file':
          hint.file = expectString(y, p.value, "'file'", p);
          break;
        case 'type': {
          const type = expectString(y, p.value, "'type'", p);
          if (type !== 'func' && type !== 'object') y.fail(p, `'type' must be 'func' or 'object', not '${type}'`);
          hint.type = type as 'func' | 'object';
          break;
        }
      }
    }
    const givesNothing =
      hint.object === undefined && hint.position === undefined && hint.file === undefined && hint.type === undefined;
    if (givesNothing) {
      y.fail(pair, `'${name}' gives no object, position, file or type`);
    }
    hints.push(hint);
  }
  return hints;
}

export async function loadPositions(file: string): Promise<PositionHint[]> {
  const [bytes] = await Promise.all([readInput(file), loadYamlLibrary()]);
  return parsePositions(bytes.toString('utf8'), file);
}
