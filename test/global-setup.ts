import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** CLI tests spawn the real bin/klp-convert.js, which runs dist/: build it once per test run. */
export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  // The man page, as `npm run build` makes it (the package test packs dist/ as it is).
  execFileSync(process.execPath, [join(root, 'scripts', 'make-man.mjs')], { stdio: 'inherit' });
  // The bundled CLI and its code cache, which bin/klp-convert.js runs (a bundle older than dist/ is ignored).
  execFileSync(process.execPath, [join(root, 'scripts', 'build-bundle.mjs')], { stdio: 'inherit' });
}
