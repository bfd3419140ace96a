/**
 * Shared plumbing for our YAML inputs (symbol maps and positions files):
 * parse with line tracking, turn YAML syntax errors into SymbolMapError, and
 * find the line of any node so semantic errors point at the right place.
 */
import type { Document, Node, Pair } from 'yaml';
import { SymbolMapError } from './errors.js';

type YamlLibrary = typeof import('yaml');
let library: YamlLibrary | undefined;

/**
 * The yaml package costs 50-100 ms to import (it is CommonJS, dozens of
 * files), a third of klp-convert's time budget, and most runs read no YAML.
 * So it is imported on first need; async entry points call this first.
 */
export async function loadYamlLibrary(): Promise<YamlLibrary> {
  library ??= await import('yaml');
  return library;
}

/** The yaml package, once loadYamlLibrary() has run. */
export function yamlLibrary(): YamlLibrary {
  if (!library) throw new Error('internal error: yamlLibrary() called before loadYamlLibrary()');
  return library;
}

export interface ParsedYaml {
  doc: Document.Parsed;
  lineOf(node: Node | Pair | null | undefined): number;
  fail(node: Node | Pair | null | undefined, reason: string): never;
}

/**
 * YAML maps and positions files are written by hand: a few hundred lines. The
 * yaml package needs ~3 KB of memory per line, so a million-line file took
 * 3.5 GB; beyond this size the compact format (`klp-convert symbols`) is the
 * one to use.
 */
export const MAX_YAML_BYTES = 16 << 20;

export function parseYaml(text: string, file: string): ParsedYaml {
  if (text.length > MAX_YAML_BYTES) {
    const mib = Math.ceil(text.length / (1 << 20));
    throw new SymbolMapError(
      file,
      0,
      `${mib} MiB of YAML is more than a hand-written file holds (at most ${MAX_YAML_BYTES >> 20} MiB); ` +
        'write large maps in the compact format (klp-convert symbols)',
    );
  }
  const { LineCounter, parseDocument, isPair } = yamlLibrary();
  const counter = new LineCounter();
  const lineOf = (node: Node | Pair | null | undefined): number => {
    if (!node) return 1;
    const target = isPair(node) ? node.key : node;
    const range = (target as Node | null)?.range;
    return range ? counter.linePos(range[0]).line : 1;
  };
  let doc: Document.Parsed;
  try {
    // The package's own duplicate-key check compares every key with every
    // other (a 40,000-key positions file took 9 s): ours below is linear.
    doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: false });
    const first = doc.errors[0];
    if (first) {
      const line = first.linePos?.[0]?.line ?? counter.linePos(first.pos[0]).line;
      throw new SymbolMapError(file, line, `YAML error: ${first.message.split('\n')[0]}`);
    }
    rejectDuplicateKeys(doc, file, lineOf);
  } catch (err) {
    // Thousands of nested brackets exhaust the parser's stack: the input's fault, not ours.
    if (err instanceof RangeError) throw new SymbolMapError(file, 0, 'YAML error: nested too deeply', { cause: err });
    throw err;
  }
  return {
    doc,
    lineOf,
    fail(node, reason) {
      throw new SymbolMapError(file, lineOf(node), reason);
    },
  };
}

/** Every mapping's keys distinct, in one pass over each mapping (the package's message). */
function rejectDuplicateKeys(doc: Document.Parsed, file: string, lineOf: (node: Pair) => number): void {
  const { visit, isScalar } = yamlLibrary();
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) throw new SymbolMapError(file, lineOf(pair), 'YAML error: Map keys must be unique');
        seen.add(key);
      }
    },
  });
}

/** The key of a pair as a non-empty string, or a located error. */
export function keyString(y: ParsedYaml, pair: Pair, what: string): string {
  const { isScalar } = yamlLibrary();
  if (
    !isScalar(pair.key) ||
    (typeof pair.key.value !== 'string' && typeof pair.key.value !== 'number') ||
    String(pair.key.value) === ''
  ) {
    y.fail(pair, `${what} must be a non-empty string`);
  }
  return String(pair.key.value);
}

export function expectString(y: ParsedYaml, node: unknown, what: string, at: Node | Pair): string {
  const { isScalar } = yamlLibrary();
  if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
    y.fail((node as Node) ?? at, `${what} must be a non-empty string`);
  }
  return node.value as string;
}

export function expectInteger(y: ParsedYaml, node: unknown, what: string, min: number, at: Node | Pair): number {
  const { isScalar } = yamlLibrary();
  if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value) || node.value < min) {
    y.fail((node as Node) ?? at, `${what} must be an integer >= ${min}`);
  }
  return node.value as number;
}

export function expectBoolean(y: ParsedYaml, node: unknown, what: string, at: Node | Pair): boolean {
  const { isScalar } = yamlLibrary();
  if (!isScalar(node) || typeof node.value !== 'boolean') y.fail((node as Node) ?? at, `${what} must be true or false`);
  return node.value as boolean;
}
