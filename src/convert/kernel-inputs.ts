/**
 * Where a kernel's symbol maps and export lists are, when the user does not
 * say: a kernel build or headers directory (--kdir), and, with no option at
 * all, the places kbuild and distributions put them for the kernel a module
 * was built for (its vermagic release).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ElfFile } from '../elf/index.js';
import { isRealSystemMap } from '../symbols/system-map.js';
import { UsageProblem } from '../util/errors.js';

export interface KernelInputs {
  symbols: string[];
  symvers: string[];
}

const isFile = (p: string): Promise<boolean> => fs.stat(p).then((s) => s.isFile(), () => false);

/** A System.map there that lists symbols (not Debian's placeholder). */
async function hasRealSystemMap(file: string): Promise<boolean> {
  return (await isFile(file)) && isRealSystemMap(file);
}

/** Maps and exports found in a kernel build or headers directory (any of them may be missing). */
export async function scanKernelDir(kdir: string): Promise<KernelInputs> {
  const symbols: string[] = [];
  const symvers: string[] = [];
  if (await isFile(join(kdir, 'Module.symvers'))) symvers.push(join(kdir, 'Module.symvers'));
  for (const name of ['symbols.klp', 'symbols.klp.gz']) {
    if (await isFile(join(kdir, name))) symbols.push(join(kdir, name));
  }
  if (await hasRealSystemMap(join(kdir, 'System.map'))) symbols.push(join(kdir, 'System.map'));
  return { symbols, symvers };
}

/** --kdir: the directory must hold something. */
export async function fromKdir(kdir: string): Promise<KernelInputs> {
  const found = await scanKernelDir(kdir);
  if (found.symbols.length === 0 && found.symvers.length === 0) {
    throw new UsageProblem(`--kdir ${kdir}: found no Module.symvers, symbols.klp or System.map there`);
  }
  return found;
}

/** The kernel release a module was built for: the first word of its vermagic. */
export function moduleRelease(elf: ElfFile): string | undefined {
  const modinfo = elf.sections.find((s) => s.name === '.modinfo');
  if (!modinfo) return undefined;
  const text = Buffer.from(modinfo.data.buffer, modinfo.data.byteOffset, modinfo.data.byteLength).toString('latin1');
  const vermagic = text.split('\0').find((e) => e.startsWith('vermagic='));
  const release = vermagic?.slice('vermagic='.length).trim().split(/\s+/)[0];
  return release && /^[\w.+~-]+$/.test(release) ? release : undefined;
}

/** /proc/kallsyms shows addresses only where kptr_restrict lets the reader see them; all-zero addresses are no map. */
async function kallsymsShowsAddresses(file: string): Promise<boolean> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
      const lines = buffer.subarray(0, bytesRead).toString('latin1').split('\n').slice(0, 20);
      return lines.some((l) => /^[0-9a-f]*[1-9a-f][0-9a-f]* /.test(l));
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

export interface AutoInputs extends KernelInputs {
  release: string;
  /** Every place looked at, for the message when nothing was found. */
  searched: string[];
}

/**
 * What kbuild and distributions keep for `release`: the build directory
 * /lib/modules/<release>/build (Module.symvers, symbols.klp, a real
 * System.map), /boot/System.map-<release> when it is real, and
 * /proc/kallsyms when the running kernel is that release and shows
 * addresses. `root` prefixes every path (KLP_CONVERT_SYSROOT: a chroot or
 * an image of another machine).
 */
export async function autoInputs(release: string, root = process.env.KLP_CONVERT_SYSROOT ?? ''): Promise<AutoInputs> {
  const build = join(root || '/', 'lib/modules', release, 'build');
  const bootMap = join(root || '/', 'boot', `System.map-${release}`);
  const kallsyms = join(root || '/', 'proc/kallsyms');
  const found = await scanKernelDir(build);
  if (!found.symbols.some((f) => f.endsWith('System.map')) && (await hasRealSystemMap(bootMap))) {
    found.symbols.push(bootMap);
  }
  const running = root
    ? (await fs.readFile(join(root, 'proc/sys/kernel/osrelease'), 'utf8').catch(() => '')).trim()
    : // node:os on first need: most runs name their inputs.
      (await import('node:os')).release();
  if (running === release && (await kallsymsShowsAddresses(kallsyms))) found.symbols.push(kallsyms);
  return { ...found, release, searched: [build, bootMap, `${kallsyms} (if ${release} is running)`] };
}
