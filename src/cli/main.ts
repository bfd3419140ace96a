import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { Diagnostic } from '../convert/diagnostics.js';
import { EXIT } from './exit-codes.js';
import { KlpError, exitCodeOf } from '../util/errors.js';
import { consoleReporter, describeError, printDiagnostics } from './report.js';
import { addSymbolsCommand } from './symbols-command.js';

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** The package's root: dist/cli/ is two levels down. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The package version, from package.json (one source for --version, the man page and npm). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Where the kbuild fragment is: `include $(shell klp-convert --kbuild-fragment)`. */
export function kbuildFragmentPath(): string {
  return join(PACKAGE_ROOT, 'kbuild', 'klp-convert.mk');
}

export const DESCRIPTION = `Convert a livepatch module: relocations to symbols the kernel does not export
move into .klp.rela.<object>.<section> sections against SHN_LIVEPATCH
.klp.sym.<object>.<symbol>,<position> symbols, which the kernel's livepatch
core resolves when <object> is loaded.

Forms:
  klp-convert [options] <in.ko> <out.ko>
  klp-convert [options] <symbols.klp> <in.ko> <out.ko>   (upstream: map first)
  klp-convert symbols ...        (build a symbol map; see symbols --help)
  klp-convert check <file.ko>... (check a module against the kernel's rules)
  klp-convert --kbuild-fragment  (print the path of the kbuild fragment)

With no --symbols, --symvers or --kdir, the maps of the module's kernel (its
vermagic release) are looked for in /lib/modules/<release>/build, /boot and
/proc/kallsyms (--no-auto turns this off).`;

export const EXIT_STATUS = `Exit status: 0 converted (or nothing to do), 1 the module cannot be converted
as it is, 2 wrong command line, 3 an input could not be read or parsed,
4 internal error.`;

/** The whole command line, for main() and for the man page (scripts/make-man.mjs). */
export function buildProgram(setExit: (code: number) => void = () => {}): Command {
  const program = new Command('klp-convert');
  program
    .description(DESCRIPTION)
    .addHelpText('after', `\n${EXIT_STATUS}`)
    .version(packageVersion())
    // Options after a subcommand are the subcommand's: `symbols --symvers F` must not feed the top-level -e.
    .enablePositionalOptions()
    .option(
      '--kbuild-fragment',
      'print the path of kbuild/klp-convert.mk and exit ' +
        '(for a Makefile: include $(shell klp-convert --kbuild-fragment))',
    )
    .argument('<files...>', '[symbols.klp] in.ko out.ko')
    .option(
      '-s, --symbols <map>',
      'symbol map (repeatable): upstream klp-convert-symbol-data, our compact or YAML map, ' +
        '/proc/kallsyms or System.map; .gz accepted',
      collect,
    )
    .option('-e, --symvers <file>', 'Module.symvers listing exported symbols (repeatable)', collect)
    .option('-k, --kdir <dir>', 'kernel build or headers directory: use its Module.symvers, symbols.klp and System.map')
    .option('-p, --positions <file>', 'YAML file choosing object/position for ambiguous symbols')
    .option(
      '--keep-module-exports',
      'keep relocations to symbols exported by modules ordinary ' +
        '(default: klp relocations, so the livepatch does not force-load the module)',
    )
    .option(
      '--no-auto',
      "with no --symbols/--symvers/--kdir, do not look for the module's kernel's maps " +
        '(/lib/modules/<release>/build, /boot, /proc/kallsyms)',
    )
    .option('-n, --dry-run', 'report what would change, write nothing')
    .option('--json <file>', "write a JSON report ('-' for stdout)")
    .addOption(new Option('-v, --verbose', 'list every symbol and decision').conflicts('quiet'))
    .option('-q, --quiet', 'print errors and the summary only')
    .showHelpAfterError()
    .action(async (files: string[], o: Record<string, unknown>) => {
      if (files.length < 2 || files.length > 3) {
        const got = `${files.length} file argument${files.length === 1 ? '' : 's'}`;
        program.error(`expected <in.ko> <out.ko> (or <symbols.klp> <in.ko> <out.ko>), got ${got}`, {
          exitCode: EXIT.USAGE,
        });
      }
      const [mapArg, input, output] = files.length === 3 ? files : [undefined, files[0]!, files[1]!];
      const reporter = consoleReporter({ quiet: Boolean(o.quiet), verbose: Boolean(o.verbose) });
      // Loaded on use, so --help, --version and the other subcommands start fast.
      const { runConvert } = await import('./convert-command.js');
      setExit(
        await runConvert(
          {
            input: input!,
            output: output!,
            symbols: [...(mapArg ? [mapArg] : []), ...((o.symbols as string[] | undefined) ?? [])],
            symvers: (o.symvers as string[] | undefined) ?? [],
            ...(o.kdir ? { kdir: o.kdir as string } : {}),
            ...(o.positions ? { positions: o.positions as string } : {}),
            ...(o.json ? { json: o.json as string } : {}),
            keepModuleExports: Boolean(o.keepModuleExports),
            dryRun: Boolean(o.dryRun),
            auto: o.auto !== false,
          },
          reporter,
        ),
      );
    });

  program
    .command('check')
    .description("check livepatch modules against the kernel's rules for klp relocation sections and symbols")
    .argument('<files...>', 'modules to check')
    .action(async (files: string[]) => {
      const { parseElf } = await import('../elf/index.js');
      const { readRegularFile } = await import('../util/read-file.js');
      const verify = await import('../convert/verify.js');
      const { diagnostic } = await import('../convert/diagnostics.js');
      const out = consoleReporter({ quiet: false, verbose: false });
      let worst: number = EXIT.OK;
      for (const f of files) {
        try {
          const elf = parseElf(await readRegularFile(f), f);
          // The same diagnostics, codes, rendering and reporter as a conversion's.
          const problems: Diagnostic[] = verify.livepatchRuleViolations(elf);
          if (!verify.hasLivepatchModinfo(elf)) {
            problems.push(diagnostic('error', 'KLP003', { file: f }, ".modinfo has no 'livepatch=Y'"));
          }
          printDiagnostics(out, problems);
          const klp = verify.klpRelaSectionCount(elf);
          const n = problems.length;
          const verdict = n === 0 ? 'ok' : `${n} problem${n === 1 ? '' : 's'}`;
          out.line(`klp-convert: ${f}: ${verdict} (${klp} klp relocation section${klp === 1 ? '' : 's'})`);
          if (problems.length > 0) worst = Math.max(worst, EXIT.CONVERSION_FAILED);
        } catch (e) {
          out.error(describeError(e));
          worst = Math.max(worst, exitCodeOf(e, EXIT.BAD_INPUT));
        }
      }
      setExit(worst);
    });

  addSymbolsCommand(program);
  return program;
}

/** Run the CLI; returns the exit status instead of exiting, so tests can call it in-process. */
export async function main(argv: string[]): Promise<number> {
  // Answered before parsing: it needs no file arguments.
  if (argv.length === 1 && argv[0] === '--kbuild-fragment') {
    process.stdout.write(`${kbuildFragmentPath()}\n`);
    return EXIT.OK;
  }
  let code: number = EXIT.OK;
  const program = buildProgram((c) => (code = c));
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0.
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code)) return EXIT.OK;
      // A command that stopped on an error of ours passes that error's status on, whatever it is.
      if (e.code === 'klp-convert.symbols') return e.exitCode;
      return e.exitCode === 0 ? EXIT.OK : typeof e.exitCode === 'number' && e.exitCode !== 1 ? e.exitCode : EXIT.USAGE;
    }
    // An error of ours that no command caught still knows its exit status; anything else is a bug.
    if (e instanceof KlpError) {
      process.stderr.write(`klp-convert: error: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`klp-convert: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.INTERNAL;
  }
  return code;
}
