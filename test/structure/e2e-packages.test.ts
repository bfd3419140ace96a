// The e2e kernels' package check (test/e2e/kernels/recipe.sh, missing_packages) against a dpkg-query
// that answers as Debian's does: it lists the packages it knows and exits 1 when it has never heard
// of one (a package never installed on this machine, as qemu-system-misc on a fresh one). Under
// `set -euo pipefail` that exit status once ended prepare.sh before it installed anything.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const RECIPE = resolve('test/e2e/kernels/recipe.sh');
const bin = mkdtempSync(join(tmpdir(), 'klp-dpkg-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

// Known: gzip (installed) and cpio (removed, config files left); anything else is unknown.
writeFileSync(
  join(bin, 'dpkg-query'),
  `#!/bin/bash
shift 2 # -W -f=...
rc=0
for p in "$@"; do
  case $p in
    gzip) echo "gzip install ok installed" ;;
    cpio) echo "cpio deinstall ok config-files" ;;
    *) echo "dpkg-query: no packages found matching $p" >&2; rc=1 ;;
  esac
done
exit $rc
`,
);
chmodSync(join(bin, 'dpkg-query'), 0o755);

function missing(...packages: string[]): { status: number | null; stdout: string; stderr: string } {
  // inherit_errexit: errexit also inside $(...), as where prepare.sh once ran the check at its top level.
  const script = `set -euo pipefail; shopt -s inherit_errexit; . "$0"; out=$(missing_packages "$@"); echo "[$out]"`;
  return spawnSync('bash', ['-c', script, RECIPE, ...packages], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
}

describe('missing_packages (e2e kernels)', () => {
  it('names a package dpkg has never heard of as missing, under pipefail, instead of failing', () => {
    const r = missing('gzip', 'qemu-system-misc', 'cpio');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('[qemu-system-misc cpio]\n');
  });

  it('names none when all are installed', () => {
    expect(missing('gzip').stdout).toBe('[]\n');
  });
});
