/**
 * An independent model of how the kernel counts a module's symbols for
 * sympos, computed from `readelf` output rather than from our ELF layer, so
 * tests compare the generator against a second opinion:
 *
 *  - after the module's init: symtab order over symbols that are defined in a
 *    real section, named, in an SHF_ALLOC section that is not an .init one
 *    (CONFIG_KALLSYMS_ALL, which Debian sets), per-CPU ones included; the
 *    loader clears SHF_ALLOC on .modinfo and __versions first (confirmed in
 *    the e2e guest: none of their symbols shows in /proc/kallsyms);
 *  - while it loads: every defined symbol of the full symtab.
 */
import { execFileSync } from 'node:child_process';

export interface OracleSymbol {
  name: string;
  core: boolean;
}

interface SectionInfo {
  name: string;
  flags: string;
}

function readelf(args: string[], file: string): string {
  return execFileSync('readelf', [...args, file], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, LC_ALL: 'C' },
  });
}

export function kernelView(file: string): OracleSymbol[] {
  const sections = new Map<number, SectionInfo>();
  for (const line of readelf(['-S', '-W'], file).split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+\s+\d+\s+\d+\s*$/.exec(line);
    if (m) sections.set(Number(m[1]), { name: m[2]!, flags: m[3]! });
  }
  const out: OracleSymbol[] = [];
  for (const line of readelf(['-s', '-W'], file).split('\n')) {
    const m = /^\s*(\d+):\s+[0-9a-f]+\s+\S+\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s*(.*)$/.exec(line);
    if (!m || m[1] === '0') continue;
    const [, , type, , ndx, name] = m;
    if (type === 'SECTION' || type === 'FILE' || ndx === 'UND' || !name) continue;
    const sec = /^\d+$/.test(ndx!) ? sections.get(Number(ndx)) : undefined;
    const dropped = sec !== undefined && (sec.name === '.modinfo' || sec.name === '__versions');
    const core =
      sec !== undefined &&
      !dropped &&
      (sec.name === '.data..percpu' || (sec.flags.includes('A') && !sec.name.startsWith('.init')));
    out.push({ name: name!, core });
  }
  return out;
}

/** name -> number of symbols the kernel counts (core view, load view). */
export function kernelCounts(view: OracleSymbol[]): Map<string, { core: number; load: number }> {
  const counts = new Map<string, { core: number; load: number }>();
  for (const s of view) {
    const c = counts.get(s.name) ?? { core: 0, load: 0 };
    c.load++;
    if (s.core) c.core++;
    counts.set(s.name, c);
  }
  return counts;
}
