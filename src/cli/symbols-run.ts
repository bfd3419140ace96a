/**
 * The work behind `klp-convert symbols`, loaded only when that subcommand
 * runs: the generator's modules are not needed to convert a module.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { GenerateInputs } from '../symbols/generate/build-map.js';
import { generateGzippedMap } from '../symbols/generate/gzip-map.js';
import { generateMapBytes } from '../symbols/generate/map-bytes.js';
import { findModuleFiles, modulesFromOrder } from '../symbols/generate/module-files.js';
import type { OutputFormat } from '../symbols/generate/write-map.js';
import { SymbolSourceError } from '../symbols/errors.js';
import { isPlaceholderSystemMap } from '../symbols/system-map.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { ioReason } from '../util/read-file.js';
import { UsageProblem } from './report.js';

export interface SymbolsOptions {
  buildTree?: string;
  installed?: string;
  kallsyms?: string;
  vmlinux?: string;
  systemMap?: string;
  modules: string[];
  symvers: string[];
  kallsymsAll: boolean;
  output: string;
  format: OutputFormat;
  progress: boolean;
}


function firstExisting(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p) && statSync(p).isFile());
}

/** Turn the options into concrete files, applying the defaults of each input kind. */
export function resolveSymbolsInputs(o: SymbolsOptions, warn: (msg: string) => void): GenerateInputs {
  const inputs: GenerateInputs = { modules: [], symvers: [...o.symvers], kallsymsAll: o.kallsymsAll };
  if (o.vmlinux !== undefined && o.systemMap !== undefined) {
    throw new UsageProblem('give either --vmlinux or --system-map, not both');
  }
  if (o.kallsyms !== undefined) {
    if (o.buildTree || o.installed || o.vmlinux || o.systemMap || o.modules.length > 0) {
      throw new UsageProblem(
        '--kallsyms already describes vmlinux and every loaded module: it cannot be combined with other symbol inputs',
      );
    }
    inputs.kallsyms = o.kallsyms;
    return inputs;
  }
  if (o.vmlinux !== undefined) inputs.vmlinux = o.vmlinux;
  if (o.systemMap !== undefined) inputs.systemMap = o.systemMap;
  const modules: string[] = [];
  if (o.buildTree !== undefined) {
    const tree = resolve(o.buildTree);
    if (!existsSync(tree)) throw new SymbolSourceError(`${o.buildTree}: no such directory`);
    if (!inputs.vmlinux && !inputs.systemMap) {
      const vmlinux = firstExisting([join(tree, 'vmlinux')]);
      const sysmap = firstExisting([join(tree, 'System.map')]);
      if (vmlinux) inputs.vmlinux = vmlinux;
      else if (sysmap) inputs.systemMap = sysmap;
      else warn(`${o.buildTree}: no vmlinux or System.map: the map will describe modules only`);
    }
    const order = join(tree, 'modules.order');
    if (existsSync(order)) {
      const { found, missing } = modulesFromOrder(order, tree, readText(order));
      for (const m of missing) warn(`module not built: ${m}`);
      modules.push(...found);
    } else {
      modules.push(...findModuleFiles(tree));
    }
    if (o.symvers.length === 0) {
      const symvers = firstExisting([join(tree, 'Module.symvers')]);
      if (symvers) inputs.symvers.push(symvers);
    }
  }
  if (o.installed !== undefined) {
    const dir = resolve(o.installed);
    if (!existsSync(dir)) throw new SymbolSourceError(`${o.installed}: no such directory`);
    const version = basename(dir);
    // /lib/modules/<version> inside an unpacked package or a chroot: look for /boot etc. next to it.
    const underLibModules = basename(dirname(dir)) === 'modules' && basename(dirname(dirname(dir))) === 'lib';
    let root = underLibModules ? resolve(dir, '../../..') : '/';
    // Merged-/usr systems keep modules in /usr/lib/modules; /boot is still at the top.
    if (basename(root) === 'usr') root = dirname(root);
    if (!inputs.vmlinux && !inputs.systemMap) {
      const vmlinux = firstExisting([
        join(root, 'usr/lib/debug/boot', `vmlinux-${version}`),
        join(root, 'usr/lib/debug/lib/modules', version, 'vmlinux'),
        join(dir, 'build/vmlinux'),
      ]);
      let sysmap = firstExisting([
        join(root, 'boot', `System.map-${version}`),
        join(root, 'usr/lib/debug/boot', `System.map-${version}`),
        join(dir, 'build/System.map'),
      ]);
      if (!vmlinux && sysmap && isPlaceholderSystemMap(sysmap)) {
        warn(`${sysmap} is a placeholder (Debian ships the real one in linux-image-${version}-dbg)`);
        sysmap = firstExisting([join(root, 'usr/lib/debug/boot', `System.map-${version}`)]);
      }
      if (vmlinux) inputs.vmlinux = vmlinux;
      else if (sysmap) inputs.systemMap = sysmap;
      else {
        warn(
          `no System.map-${version} or debug vmlinux found for ${o.installed}: ` +
            'the map will describe modules only (pass --system-map or --vmlinux)',
        );
      }
    }
    modules.push(...findModuleFiles(dir));
    if (o.symvers.length === 0) {
      const symvers = firstExisting([
        join(root, 'usr/src', `linux-headers-${version}`, 'Module.symvers'),
        join(dir, 'build/Module.symvers'),
      ]);
      if (symvers) inputs.symvers.push(symvers);
    }
  }
  for (const d of o.modules) {
    if (!existsSync(d)) throw new SymbolSourceError(`${d}: no such file or directory`);
    modules.push(...(statSync(d).isDirectory() ? findModuleFiles(d) : [d]));
  }
  inputs.modules = [...new Set(modules)];
  if (!inputs.vmlinux && !inputs.systemMap && inputs.modules.length === 0) {
    throw new UsageProblem(
      'nothing to read: give --build-tree, --installed, --kallsyms, --vmlinux, --system-map or --modules',
    );
  }
  return inputs;
}

/** modules.order is small; read it synchronously while resolving inputs. */
function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** The map, written atomically (a failure leaves nothing half-written). */
async function writeOutput(target: string, data: Buffer): Promise<void> {
  try {
    await writeFileAtomic(target, data);
  } catch (err) {
    throw new SymbolSourceError(`cannot write ${target}: ${ioReason(err)}`, { cause: err });
  }
}

function progressLine(enabled: boolean): ((done: number, total: number) => void) | undefined {
  if (!enabled || !process.stderr.isTTY) return undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done !== total && now - last < 100) return;
    last = now;
    process.stderr.write(`\rklp-convert symbols: modules ${done}/${total}${done === total ? '\n' : ''}`);
  };
}

async function plainMap(inputs: GenerateInputs, format: OutputFormat) {
  const map = await generateMapBytes(inputs, format);
  return { ...map, data: Buffer.concat(map.chunks) };
}

export async function runSymbols(o: SymbolsOptions): Promise<void> {
  const started = process.hrtime.bigint();
  const warn = (msg: string) => process.stderr.write(`klp-convert symbols: warning: ${msg}\n`);
  const inputs = resolveSymbolsInputs(o, warn);
  const progress = progressLine(o.progress);
  if (progress) inputs.progress = progress;
  // A .gz name: compressed on zlib's threads while modules are read; the bytes equal gzipSync's at level 9.
  const map = o.output.endsWith('.gz')
    ? await generateGzippedMap(inputs, o.format, 9)
    : await plainMap(inputs, o.format);
  for (const w of map.warnings) warn(w);
  const { data } = map;
  if (o.output === '-') process.stdout.write(data);
  else await writeOutput(o.output, data);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(
    `klp-convert symbols: ${o.output === '-' ? 'wrote' : `wrote ${o.output}:`} ` +
      `${map.objects} objects, ${map.symbols} symbols (${o.format}, ${seconds.toFixed(2)} s)\n`,
  );
}

