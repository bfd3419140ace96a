/**
 * Builds the fixture modules in test/fixtures/src/<name>/ for every supported
 * architecture, the way kbuild builds module objects: each C file is compiled
 * with kernel-like flags by the (cross) gcc, the module stub
 * (include/module-stub.c, our stand-in for modpost's <mod>.mod.c) is added,
 * and everything is linked with `ld -r` into a .ko.
 *
 * Outputs are cached in build/fixtures/<arch>/<name>-<hash>.ko, where the
 * hash covers the sources, the shared headers, the fixture options, the
 * compiler command line and the compiler version.  A build writes into a
 * private temporary directory and renames the .ko into place, so concurrent
 * test workers (vitest forks) never see a partial file.
 *
 * Fixture directory layout:
 *   test/fixtures/src/include/       headers and module-stub.c, shared
 *   test/fixtures/src/<name>/*.c|*.S compiled and linked in name order
 *   test/fixtures/src/<name>/fixture.json (optional) FixtureOptions
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Bump when the build recipe changes in a way the hash does not see. */
const BUILDER_VERSION = 3;

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURE_SRC_DIR = join(REPO_ROOT, 'test', 'fixtures', 'src');
export const FIXTURE_INCLUDE_DIR = join(FIXTURE_SRC_DIR, 'include');
/** Where built fixtures are cached; KLPT_FIXTURE_DIR overrides (e.g. to time a cold build). */
export const FIXTURE_BUILD_DIR = process.env.KLPT_FIXTURE_DIR ?? join(REPO_ROOT, 'build', 'fixtures');

export const INSTALL_HINT =
  'run test/support/install-deps.sh (as root) to install the compilers and binutils the tests need';

export type Arch = 'x86_64' | 'i386' | 'ppc64le' | 'ppc64' | 's390x' | 'aarch64' | 'ppc32';

/** Every architecture the fixtures are built for. */
export const ARCHES: readonly Arch[] = ['x86_64', 'i386', 'ppc64le', 'ppc64', 's390x', 'aarch64', 'ppc32'];

export interface Toolchain {
  readonly arch: Arch;
  /** Compiler driver and the arguments selecting the target. */
  readonly cc: readonly string[];
  /** Linker and its emulation arguments. */
  readonly ld: readonly string[];
  /** Arch-specific flags, as the kernel's arch Makefile would add them. */
  readonly cflags: readonly string[];
  /** What the produced .ko must look like. */
  readonly elfClass: 32 | 64;
  readonly endian: 'le' | 'be';
  readonly machine: number;
  readonly relocSection: 'rela' | 'rel';
  /** Debian package providing the compiler. */
  readonly debianPackage: string;
}

/** Flags shared by all architectures: a freestanding, non-PIC kernel object. */
export const COMMON_CFLAGS: readonly string[] = [
  '-std=gnu11',
  '-O2',
  '-fno-PIC',
  '-fno-PIE',
  '-fno-common',
  '-ffreestanding',
  '-nostdinc',
  '-fno-asynchronous-unwind-tables',
  '-fno-unwind-tables',
  '-fno-stack-protector',
  '-fno-strict-aliasing',
  '-D__KERNEL__',
  '-DMODULE',
  '-Wall',
  '-Wno-unused-function',
];

export const TOOLCHAINS: Readonly<Record<Arch, Toolchain>> = {
  x86_64: {
    arch: 'x86_64',
    cc: ['gcc'],
    ld: ['ld', '-m', 'elf_x86_64'],
    cflags: ['-mcmodel=kernel', '-mno-red-zone', '-mno-sse', '-mno-mmx', '-pg', '-mfentry', '-mrecord-mcount'],
    elfClass: 64,
    endian: 'le',
    machine: 62,
    relocSection: 'rela',
    debianPackage: 'gcc',
  },
  i386: {
    arch: 'i386',
    cc: ['gcc', '-m32'],
    ld: ['ld', '-m', 'elf_i386'],
    cflags: [
      '-mregparm=3',
      '-march=i686',
      '-mpreferred-stack-boundary=2',
      '-mno-sse',
      '-mno-mmx',
      '-pg',
      '-mfentry',
      '-mrecord-mcount',
    ],
    elfClass: 32,
    endian: 'le',
    machine: 3,
    relocSection: 'rel',
    debianPackage: 'gcc',
  },
  ppc64le: {
    arch: 'ppc64le',
    cc: ['powerpc64le-linux-gnu-gcc'],
    ld: ['powerpc64le-linux-gnu-ld'],
    cflags: ['-mcmodel=medium', '-mabi=elfv2', '-msoft-float', '-mno-altivec', '-mno-vsx', '-pg', '-mprofile-kernel'],
    elfClass: 64,
    endian: 'le',
    machine: 21,
    relocSection: 'rela',
    debianPackage: 'gcc-powerpc64le-linux-gnu',
  },
  ppc64: {
    arch: 'ppc64',
    cc: ['powerpc64-linux-gnu-gcc'],
    ld: ['powerpc64-linux-gnu-ld'],
    cflags: ['-mcmodel=medium', '-mabi=elfv1', '-msoft-float', '-mno-altivec', '-mno-vsx', '-pg'],
    elfClass: 64,
    endian: 'be',
    machine: 21,
    relocSection: 'rela',
    debianPackage: 'gcc-powerpc64-linux-gnu',
  },
  s390x: {
    arch: 's390x',
    cc: ['s390x-linux-gnu-gcc'],
    ld: ['s390x-linux-gnu-ld'],
    cflags: ['-msoft-float', '-mpacked-stack', '-pg', '-mfentry', '-mnop-mcount', '-mrecord-mcount'],
    elfClass: 64,
    endian: 'be',
    machine: 22,
    relocSection: 'rela',
    debianPackage: 'gcc-s390x-linux-gnu',
  },
  aarch64: {
    arch: 'aarch64',
    cc: ['aarch64-linux-gnu-gcc'],
    ld: ['aarch64-linux-gnu-ld'],
    cflags: ['-mgeneral-regs-only', '-mbranch-protection=none', '-fpatchable-function-entry=2'],
    elfClass: 64,
    endian: 'le',
    machine: 183,
    relocSection: 'rela',
    debianPackage: 'gcc-aarch64-linux-gnu',
  },
  ppc32: {
    arch: 'ppc32',
    cc: ['powerpc-linux-gnu-gcc'],
    ld: ['powerpc-linux-gnu-ld'],
    cflags: ['-mcpu=powerpc', '-msoft-float', '-mno-altivec', '-ffixed-r2', '-pg'],
    elfClass: 32,
    endian: 'be',
    machine: 20,
    relocSection: 'rela',
    debianPackage: 'gcc-powerpc-linux-gnu',
  },
};

/** Options in test/fixtures/src/<name>/fixture.json; all optional. */
export interface FixtureOptions {
  /** KBUILD_MODNAME; default klpt_<name with - as _>. */
  modname?: string;
  /** Link include/module-stub.c in (default true). */
  stub?: boolean;
  /** A generated source added to the fixture's own ones. */
  generate?: 'xindex';
  /** Extra compiler flags for every source of this fixture. */
  cflags?: string[];
  /** Restrict the fixture to some architectures (default: all). */
  archs?: Arch[];
}

/** Number of extra sections the "xindex" generator emits: above SHN_LORESERVE (0xff00). */
export const XINDEX_SECTION_COUNT = 65_300;

export class FixtureBuildError extends Error {
  override name = 'FixtureBuildError';
}

/** Fixture names: the directories of test/fixtures/src other than include/. */
export async function listFixtures(): Promise<string[]> {
  const entries = await readdir(FIXTURE_SRC_DIR, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && e.name !== 'include')
    .map((e) => e.name)
    .sort();
}

export async function fixtureOptions(name: string): Promise<FixtureOptions> {
  const file = join(FIXTURE_SRC_DIR, name, 'fixture.json');
  if (!existsSync(file)) return {};
  return JSON.parse(await readFile(file, 'utf8')) as FixtureOptions;
}

/** Whether fixture `name` is built for `arch` (fixture.json "archs"). */
export async function fixtureSupportsArch(name: string, arch: Arch): Promise<boolean> {
  const opts = await fixtureOptions(name);
  return !opts.archs || opts.archs.includes(arch);
}

const toolVersionCache = new Map<string, Promise<string>>();

/** The compiler's and linker's version lines; fails with an install hint when missing. */
function toolchainVersion(arch: Arch): Promise<string> {
  let p = toolVersionCache.get(arch);
  if (!p) {
    const tc = TOOLCHAINS[arch];
    p = (async () => {
      const [cc, ...ccArgs] = tc.cc;
      const [ld] = tc.ld;
      const ccv = await run(cc!, [...ccArgs, '--version'], REPO_ROOT, `${arch} compiler`);
      const ldv = await run(ld!, ['--version'], REPO_ROOT, `${arch} linker`);
      return `${firstLine(ccv)}\n${firstLine(ldv)}`;
    })();
    toolVersionCache.set(arch, p);
  }
  return p;
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? '';
}

async function run(cmd: string, args: readonly string[], cwd: string, what: string): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args as string[], { cwd, maxBuffer: 64 << 20, encoding: 'utf8' });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') {
      throw new FixtureBuildError(`${what}: '${cmd}' not found; ${INSTALL_HINT}`);
    }
    throw new FixtureBuildError(
      `${what}: '${cmd} ${args.join(' ')}' failed in ${cwd}\n${e.stderr ?? ''}${e.stdout ?? ''}`.trimEnd(),
    );
  }
}

interface Source {
  /** Directory the compiler runs in (so STT_FILE names are stable). */
  cwd: string;
  /** File name relative to cwd. */
  file: string;
  /** Content (for hashing, and written out for generated sources). */
  text: string;
  generated: boolean;
}

/** The generated assembly of the "xindex" fixture: more than 0xff00 sections. */
export function generateXindexAsm(arch: Arch): string {
  const ptr = TOOLCHAINS[arch].elfClass === 64 ? '.quad' : '.long';
  const lines: string[] = [
    '/* Generated by test/support/fixtures.ts: symbols in sections >= SHN_LORESERVE. */',
    '\t.data',
    `\t.balign ${TOOLCHAINS[arch].elfClass / 8}`,
    '\t.globl lp_xindex_refs',
    'lp_xindex_refs:',
    `\t${ptr} lp_far_sym`,
    `\t${ptr} lp_far_local`,
    `\t${ptr} saved_command_line`,
  ];
  for (let i = 0; i < XINDEX_SECTION_COUNT; i++) {
    lines.push(`\t.section .lx${i},"a",%progbits`, `\t.byte ${i & 0xff}`);
  }
  lines.push(
    '\t.globl lp_far_sym',
    '\t.type lp_far_sym, %object',
    'lp_far_sym:',
    '\t.byte 1',
    '\t.size lp_far_sym, 1',
    'lp_far_local:',
    '\t.byte 2',
    '\t.section .modinfo,"a",%progbits',
    '\t.asciz "livepatch=Y"',
    '\t.asciz "license=GPL"',
    '',
  );
  return lines.join('\n');
}

async function collectSources(name: string, arch: Arch, opts: FixtureOptions): Promise<Source[]> {
  const dir = join(FIXTURE_SRC_DIR, name);
  if (!existsSync(dir)) {
    throw new FixtureBuildError(`unknown fixture '${name}': no directory ${dir}`);
  }
  const sources: Source[] = [];
  const files = (await readdir(dir)).filter((f) => /\.(c|S)$/.test(f)).sort();
  for (const file of files) {
    sources.push({ cwd: dir, file, text: await readFile(join(dir, file), 'utf8'), generated: false });
  }
  if (opts.generate === 'xindex') {
    sources.push({ cwd: '', file: 'xindex.s', text: generateXindexAsm(arch), generated: true });
  } else if (opts.generate !== undefined) {
    throw new FixtureBuildError(`fixture '${name}': unknown generator '${String(opts.generate)}'`);
  }
  if (opts.stub !== false) {
    const file = 'module-stub.c';
    sources.push({
      cwd: FIXTURE_INCLUDE_DIR,
      file,
      text: await readFile(join(FIXTURE_INCLUDE_DIR, file), 'utf8'),
      generated: false,
    });
  }
  if (sources.length === 0) {
    throw new FixtureBuildError(`fixture '${name}' has no sources in ${dir}`);
  }
  return sources;
}

async function includeHash(): Promise<string> {
  const h = createHash('sha256');
  for (const f of (await readdir(FIXTURE_INCLUDE_DIR)).sort()) {
    h.update(f).update('\0').update(await readFile(join(FIXTURE_INCLUDE_DIR, f))).update('\0');
  }
  return h.digest('hex');
}

function compileArgs(arch: Arch, modname: string, opts: FixtureOptions): string[] {
  const tc = TOOLCHAINS[arch];
  return [
    ...tc.cc.slice(1),
    ...COMMON_CFLAGS,
    ...tc.cflags,
    ...(opts.cflags ?? []),
    `-I${FIXTURE_INCLUDE_DIR}`,
    `-DKBUILD_MODNAME="${modname}"`,
    `-DKBUILD_BASENAME="${modname}"`,
  ];
}

const inProcess = new Map<string, Promise<string>>();

/**
 * Builds (or takes from the cache) fixture `name` for `arch` and returns the
 * absolute path of its .ko.  Throws FixtureBuildError with the compiler's
 * output on failure, and with an install hint when a tool is missing.
 */
export async function buildFixture(name: string, arch: Arch): Promise<string> {
  if (!(arch in TOOLCHAINS)) throw new FixtureBuildError(`unknown arch '${arch}'`);
  const memoKey = `${arch}/${name}`;
  let p = inProcess.get(memoKey);
  if (!p) {
    p = buildFixtureUncached(name, arch);
    inProcess.set(memoKey, p);
    p.catch(() => inProcess.delete(memoKey));
  }
  return p;
}

async function buildFixtureUncached(name: string, arch: Arch): Promise<string> {
  const opts = await fixtureOptions(name);
  if (opts.archs && !opts.archs.includes(arch)) {
    throw new FixtureBuildError(`fixture '${name}' is not built for ${arch} (fixture.json archs)`);
  }
  const modname = opts.modname ?? `klpt_${name.replace(/-/g, '_')}`;
  const tc = TOOLCHAINS[arch];
  const sources = await collectSources(name, arch, opts);
  const args = compileArgs(arch, modname, opts);

  const h = createHash('sha256');
  h.update(`v${BUILDER_VERSION}\0${arch}\0${name}\0${await toolchainVersion(arch)}\0`);
  h.update(`${tc.cc[0]}\0${args.join('\0')}\0${tc.ld.join('\0')}\0${JSON.stringify(opts)}\0`);
  h.update(await includeHash());
  for (const s of sources) h.update(`${s.file}\0${s.text}\0`);
  const hash = h.digest('hex').slice(0, 16);

  const outDir = join(FIXTURE_BUILD_DIR, arch);
  const out = join(outDir, `${name}-${hash}.ko`);
  if (existsSync(out)) return out;

  await mkdir(outDir, { recursive: true });
  const tmp = join(outDir, `.tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const objects: string[] = [];
    await Promise.all(
      sources.map(async (s, i) => {
        const obj = join(tmp, `${String(i).padStart(2, '0')}-${s.file.replace(/\.[^.]+$/, '')}.o`);
        objects[i] = obj;
        let cwd = s.cwd;
        if (s.generated) {
          cwd = tmp;
          await writeFile(join(tmp, s.file), s.text);
        }
        await run(tc.cc[0]!, [...args, '-c', s.file, '-o', obj], cwd, `${arch} fixture '${name}': compiling ${s.file}`);
      }),
    );
    const ko = join(tmp, `${modname}.ko`);
    await run(
      tc.ld[0]!,
      [...tc.ld.slice(1), '-r', '--build-id=sha1', '-o', ko, ...objects],
      tmp,
      `${arch} fixture '${name}': linking`,
    );
    await rename(ko, out);
    // Drop outputs of older versions of this fixture.
    for (const f of await readdir(outDir)) {
      if (f.startsWith(`${name}-`) && f.endsWith('.ko') && f !== `${name}-${hash}.ko` && /^[0-9a-f]{16}\.ko$/.test(f.slice(name.length + 1))) {
        await rm(join(outDir, f), { force: true });
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return out;
}

export interface BuiltFixture {
  name: string;
  arch: Arch;
  path: string;
}

/**
 * Builds every fixture for every listed architecture, `concurrency` builds at
 * a time (each build also compiles its sources in parallel).
 */
export async function buildAllFixtures(
  archs: readonly Arch[] = ARCHES,
  names?: readonly string[],
  concurrency = 2,
): Promise<BuiltFixture[]> {
  const all = names ?? (await listFixtures());
  const jobs: { name: string; arch: Arch }[] = [];
  for (const arch of archs) {
    for (const name of all) {
      if (await fixtureSupportsArch(name, arch)) jobs.push({ name, arch });
    }
  }
  const results: BuiltFixture[] = new Array(jobs.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < jobs.length) {
      const i = next++;
      const job = jobs[i]!;
      results[i] = { ...job, path: await buildFixture(job.name, job.arch) };
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}
