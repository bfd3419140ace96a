#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (run `make build` or `npm run build` first).
import { main } from '../dist/cli/main.js';

// A reader that went away (`klp-convert --help | head`) is not an error of ours.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
