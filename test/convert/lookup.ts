import type { MapDefinition, SymbolLookup } from '../../src/convert/symbol-source.js';

/**
 * An in-memory symbol lookup for planner tests, from a compact description:
 *   { vmlinux: ['saved_command_line', 'dup@fs/a.c', 'dup@fs/b.c'], klpt_target: [...] }
 * Entries are in kernel counting order; ranks are computed like the kernel counts.
 * `exports` maps a name to its exporting object.
 */
export function memoryLookup(
  objects: Readonly<Record<string, readonly string[]>>,
  exports: Readonly<Record<string, string>> = {},
  opts: { orderKnown?: boolean } = {},
): SymbolLookup {
  const defs = new Map<string, MapDefinition[]>();
  const counts = new Map<string, number>();
  let line = 0;
  for (const [object, names] of Object.entries(objects)) {
    line++;
    for (const spec of names) {
      line++;
      const [nameKind, file] = spec.split('@') as [string, string | undefined];
      const [name, kind] = nameKind.split(':') as [string, string | undefined];
      const key = `${object}\0${name}`;
      const rank = (counts.get(key) ?? 0) + 1;
      counts.set(key, rank);
      const d: MapDefinition = {
        object,
        name,
        origin: { file: 'test.map', line },
        ...(opts.orderKnown === false ? {} : { rank }),
      };
      if (file) d.file = file;
      if (kind) d.kind = kind;
      defs.set(name, [...(defs.get(name) ?? []), d]);
    }
  }
  return {
    definitions: (n) => defs.get(n) ?? [],
    countIn: (o, n) => (Object.hasOwn(objects, o) ? (counts.get(`${o}\0${n}`) ?? 0) : undefined),
    orderKnown: () => opts.orderKnown !== false,
    exporter: (n) =>
      exports[n] ? { name: n, object: exports[n]!, origin: { file: 'Module.symvers', line: 1 } } : undefined,
    objects: new Set(Object.keys(objects)),
  };
}
