#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (run `make build` or `npm run build` first),
// as one script with a code cache when the build made one (see load-cli.js).
import { loadBundledCli } from './load-cli.js';

const { main } = loadBundledCli() ?? (await import('../dist/cli/main.js'));

// A reader that went away: after help or the version, nothing was lost
// (`klp-convert --help | head`); otherwise the output is incomplete (exit 3).
const args = process.argv.slice(2);
const INFO_ONLY = new Set(['--help', '-h', '--version', '-V', '--kbuild-fragment']);
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
  if (args.some((a) => INFO_ONLY.has(a))) process.exit(0);
  process.stderr.write(
    'klp-convert: error: standard output: the reader closed the pipe (EPIPE); the output is incomplete\n',
  );
  process.exit(3);
});

process.exitCode = await main(args);
