// kbuild/klp-convert.mk on its own: the documented example (kbuild/example)
// built with Debian's kernel headers, with a stand-in for klp-convert that
// logs its arguments (fixtures/fake-klp-convert.sh).  The real klp-convert
// goes through the same fragment in livepatch.test.ts.
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { E2E_DIR, E2E_ENABLED, e2eEnv, REPO_DIR, run, tail, type StepResult } from './harness.js';

// The fragment is arch-independent and runs on the host: one cell suffices.
const env = e2eEnv('x86_64-6.1');
const L = env.label;
const root = join(env.buildDir, 'kbuild-test');
const dir = join(root, 'example');
const ko = join(dir, 'livepatch-example.ko');
const raw = `${ko}.unconverted`;
const stamp = join(dir, '.livepatch-example.ko.klp.cmd');
const log = join(root, 'fake.log');
const symbols = join(dir, 'symbols.txt');
const MARK = 'FAKE-KLP-CONVERTED\n';

function make(args: string[] = [], extraEnv: Record<string, string> = {}): Promise<StepResult> {
  return run(
    'make',
    [
      '-C', dir,
      `KDIR=${env.kdir}`,
      `KLP_CONVERT=${join(E2E_DIR, 'fixtures/fake-klp-convert.sh')}`,
      'KLP_SYMBOLS=symbols.txt',
      ...args,
    ],
    { env: { FAKE_KLP_LOG: log, ...extraEnv } },
  );
}
function calls(): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') : [];
}
function marks(file: string): number {
  return readFileSync(file, 'latin1').split(MARK).length - 1;
}
function ok(r: StepResult): void {
  expect(r.code, `make failed:\n${tail(r.stderr + r.stdout, 30)}`).toBe(0);
}

describe.skipIf(!E2E_ENABLED)(`${L}: kbuild/klp-convert.mk with Debian kernel headers`, () => {
  beforeAll(() => {
    if (!env.kver || !existsSync(join(env.kdir, 'Makefile'))) {
      throw new Error(
        `${L}: kernel headers missing (${env.kdir || 'cell not set up'}): ` +
          `run test/e2e/setup.sh as root (\`make e2e\` does), or set KLP_E2E=0 to skip the e2e tests`,
      );
    }
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    cpSync(join(REPO_DIR, 'kbuild/klp-convert.mk'), join(root, 'klp-convert.mk'));
    cpSync(join(REPO_DIR, 'kbuild/example'), dir, { recursive: true });
    writeFileSync(symbols, 'version 1\n');
  });

  it(`${L}: \`make\` builds with kbuild, lets modpost pass, and converts the livepatch in place`, async () => {
    const r = await make();
    ok(r);
    expect(r.stderr).toMatch(/WARNING: modpost: "saved_command_line" \[.*livepatch-example\.ko\] undefined!/);
    expect(r.stdout).toContain('  KLP     livepatch-example.ko');
    expect(calls()).toEqual([
      `--symbols symbols.txt --kdir ${env.kdir} livepatch-example.ko.unconverted livepatch-example.ko.klp-tmp`,
    ]);
    expect(marks(ko)).toBe(1);
    expect(marks(raw)).toBe(0);
    expect(readFileSync(ko).equals(Buffer.concat([readFileSync(raw), Buffer.from(MARK)]))).toBe(true);
    expect(existsSync(`${ko}.klp-tmp`)).toBe(false);
    expect(existsSync(stamp)).toBe(true);
  });

  it(`${L}: a second \`make\` converts nothing`, async () => {
    const before = readFileSync(ko);
    ok(await make());
    expect(calls()).toHaveLength(1);
    expect(readFileSync(ko).equals(before)).toBe(true);
  });

  it(`${L}: a changed input (map, options) converts again, from the unconverted module`, async () => {
    writeFileSync(symbols, 'version 2\n');
    ok(await make());
    expect(calls()).toHaveLength(2);
    ok(await make(['KLP_FLAGS=-v']));
    expect(calls()).toHaveLength(3);
    expect(calls()[2]).toContain(' -v livepatch-example.ko.unconverted ');
    expect(marks(ko)).toBe(1);
  });

  it(`${L}: a module relinked by kbuild is converted again`, async () => {
    appendFileSync(join(dir, 'livepatch-example.c'), '/* touched by the test */\n');
    ok(await make(['KLP_FLAGS=-v']));
    expect(calls()).toHaveLength(4);
    expect(marks(ko)).toBe(1);
    expect(marks(raw)).toBe(0);
  });

  it(`${L}: a failing conversion fails the build with klp-convert's message ` +
    `and leaves the module unconverted`, async () => {
    writeFileSync(symbols, 'version 3\n');
    const r = await make([], { FAKE_KLP_FAIL: '1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('klp-convert: error: livepatch-example.ko.unconverted: fake failure for the test');
    expect(r.stderr).toContain('klp-convert.mk: klp-convert failed for livepatch-example.ko (left unconverted)');
    expect(marks(ko)).toBe(0);
    expect(readFileSync(ko).equals(readFileSync(raw))).toBe(true);
    expect(existsSync(`${ko}.klp-tmp`)).toBe(false);
    expect(existsSync(stamp)).toBe(false);
    // Fixed: the next make converts.
    ok(await make());
    expect(marks(ko)).toBe(1);
  });

  it(`${L}: modules_install installs the converted module`, async () => {
    const dest = join(root, 'install');
    const r = await make(['modules_install', `INSTALL_MOD_PATH=${dest}`]);
    // Signing needs the distribution's private key, which Debian does not
    // ship: sign-file complains, the install goes on.
    ok(r);
    const installed = join(dest, 'lib/modules', env.kver, 'extra/livepatch-example.ko');
    expect(existsSync(installed)).toBe(true);
    expect(marks(installed)).toBe(1);
  });

  it(`${L}: running kbuild directly (no conversion) warns, and modpost still passes`, async () => {
    const r = await run('make', ['-C', env.kdir, `M=${dir}`, 'modules']);
    ok(r);
    expect(r.stderr).toContain('the livepatch modules will NOT be converted');
  });

  it(`${L}: \`make clean\` removes the conversion files too`, async () => {
    ok(await make(['clean']));
    for (const f of [ko, raw, stamp]) expect(existsSync(f), f).toBe(false);
  });
});
