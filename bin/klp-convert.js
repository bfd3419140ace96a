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

/** The standard streams Node has made so far (it makes each on first use). */
const madeStreams = [];

/**
 * Run `made` on process[name] when something first asks for it, without making it before: making
 * process.stdout costs ~19 M instructions (~4% of Node's start-up), and a conversion prints nothing
 * there.
 */
function onFirstUse(name, made) {
  const original = Object.getOwnPropertyDescriptor(process, name);
  if (!original?.configurable || !original.get) {
    made(process[name]);
    return;
  }
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: original.enumerable,
    get() {
      Object.defineProperty(process, name, original);
      const stream = process[name];
      made(stream);
      return stream;
    },
  });
}
onFirstUse('stdout', (stream) => {
  madeStreams.push(stream);
  stream.on('error', onStdoutError);
});
onFirstUse('stderr', (stream) => madeStreams.push(stream));

/** Whether a standard stream still holds bytes it has not handed to the system (a pipe that was full). */
function outputPending() {
  return madeStreams.some((stream) => stream.writableLength > 0);
}

const bundled = loadBundledCli();
(bundled ? Promise.resolve(bundled) : import('../dist/cli/main.js'))
  .then(({ main }) => main(args))
  .then((status) => {
    // Exit now rather than when the event loop empties: then Node tears down the heap and waits for
    // V8's background tasks (optimising compiles the run no longer needs), 5-10 ms of a conversion
    // here. main() has finished its work; only a write to a full pipe can still be in flight, and
    // then Node exits by itself once it is written.
    if (outputPending()) process.exitCode = status;
    else process.exit(status);
  });
