/**
 * `klp-convert symbols`: build a symbol map from what the user has (a kernel
 * build tree, an installed distribution kernel, or a running kernel's
 * /proc/kallsyms). The map records, per object, every symbol the livepatch
 * loader can resolve in the kernel's counting order, so klp-convert can
 * compute positions instead of asking for hand-counted KLP_SYMPOS.
 */
import { type Command, CommanderError, Option } from 'commander';
import { KlpError } from '../util/errors.js';
import { EXIT } from './exit-codes.js';
import { UsageProblem } from './report.js';
import type { SymbolsOptions } from './symbols-run.js';

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

const HELP_AFTER = `
With --installed, vmlinux comes from <root>/usr/lib/debug/boot/vmlinux-<version>
or <root>/boot/System.map-<version>, and Module.symvers from
<root>/usr/src/linux-headers-<version>, where <root> holds lib/modules/<version>
(/ for the running system, or an unpacked package).

Examples:
  klp-convert symbols --build-tree ~/linux -o symbols.klps
  klp-convert symbols --installed /lib/modules/$(uname -r) \\
      --system-map /boot/System.map-$(uname -r) -o distro.klps.gz
  sudo cat /proc/kallsyms > kallsyms.txt
  klp-convert symbols --kallsyms kallsyms.txt -o running.klps

Output formats: 'compact' (klp-convert-symbols 1: kinds, files, order) or
'upstream' (klp-convert-symbol-data.0.1, names only). A .gz output name is
written gzipped.`;

export function addSymbolsCommand(program: Command): void {
  const cmd = program
    .command('symbols')
    .description(
      "build a symbol map (every symbol the kernel's livepatch loader can resolve, per object, in kallsyms order) " +
        'from a kernel build tree, an installed kernel or /proc/kallsyms',
    )
    .option('--build-tree <dir>', 'kernel build tree: vmlinux, modules.order, Module.symvers')
    .option('--installed <dir>', 'installed kernel, /lib/modules/<version>')
    .option('--kallsyms <file>', "a running kernel's /proc/kallsyms (or a copy)")
    .option('--vmlinux <file>', 'vmlinux ELF with symbols (build tree or -dbg package)')
    .option('--system-map <file>', 'System.map for vmlinux (when no vmlinux ELF is at hand)')
    .option(
      '--modules <path>',
      'module file, or directory searched for *.ko, *.ko.xz, *.ko.zst, *.ko.gz (repeatable)',
      collect,
    )
    .option('--symvers <file>', 'Module.symvers to mark exported symbols (repeatable)', collect)
    .option('--no-kallsyms-all', 'the target kernel lacks CONFIG_KALLSYMS_ALL (only text symbols are counted)')
    .option('-o, --output <file>', "output file ('-' for stdout; a .gz name is gzipped)", '-')
    .addOption(new Option('--format <format>', 'output format').choices(['compact', 'upstream']).default('compact'))
    .option('--no-progress', 'no progress line on a terminal')
    .addHelpText('after', HELP_AFTER)
    .action(async (o: Omit<SymbolsOptions, 'modules' | 'symvers'> & { modules?: string[]; symvers?: string[] }) => {
      // Loaded on use: converting a module never pays for the generator.
      const { runSymbols } = await import('./symbols-run.js');
      try {
        await runSymbols({ ...o, modules: o.modules ?? [], symvers: o.symvers ?? [] });
      } catch (e) {
        if (e instanceof UsageProblem) {
          cmd.error(`klp-convert symbols: ${e.message}`, { exitCode: EXIT.USAGE, code: 'klp-convert.usage' });
        }
        // Every error of ours carries its exit status; anything else is a bug, reported as such by main.
        if (e instanceof KlpError) {
          process.stderr.write(`klp-convert symbols: error: ${e.message}\n`);
          throw new CommanderError(e.exitCode, 'klp-convert.symbols', e.message);
        }
        throw e;
      }
    });
}
