#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (run `make build` or `npm run build` first),
// as one script with a code cache when the build made one (see load-cli.js).
// CommonJS (bin/package.json), not an ES module: an ES module entry costs ~13 M instructions of
// loader set-up, ~2.6% of Node's own start-up (cachegrind), before a line of ours runs.
'use strict';
const { loadBundledCli } = require('./load-cli.js');

// A reader that went away: after help or the version, nothing was lost
// (`klp-convert --help | head`); otherwise the output is incomplete (exit 3).
const args = process.argv.slice(2);
const INFO_ONLY = new Set(['--help', '-h', '--version', '-V', '--kbuild-fragment']);
function onStdoutError(e) {
  if (e.code !== 'EPIPE') throw e;
  if (args.some((a) => INFO_ONLY.has(a))) process.exit(0);
  process.stderr.write(
    'klp-convert: error: standard output: the reader closed the pipe (EPIPE); the output is incomplete\n',
  );
  process.exit(3);
}

// The handler goes on when something first asks for process.stdout: making the stream costs ~19 M
// instructions (~4% of Node's start-up), and a conversion prints nothing there.
const stdout = Object.getOwnPropertyDescriptor(process, 'stdout');
if (stdout?.configurable && stdout.get) {
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: stdout.enumerable,
    get() {
      Object.defineProperty(process, 'stdout', stdout);
      const stream = process.stdout;
      stream.on('error', onStdoutError);
      return stream;
    },
  });
} else {
  process.stdout.on('error', onStdoutError);
}

const bundled = loadBundledCli();
(bundled ? Promise.resolve(bundled) : import('../dist/cli/main.js'))
  .then(({ main }) => main(args))
  .then((status) => {
    process.exitCode = status;
  });
