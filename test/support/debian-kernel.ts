/**
 * Real kernel modules for tests: Debian bookworm's
 * linux-image-6.1.0-N-cloud-amd64-unsigned package (unsigned .ko files,
 * CONFIG_MODULE_COMPRESS_NONE, so plain ELF).
 *
 * Shared cache layout (other tests use the same paths):
 *   .cache/debs/<package>_<version>_amd64.deb        the downloaded .deb
 *   .cache/extract/<package>_<version>_amd64/        `dpkg -x` of it
 *
 * Everything is lock-free and idempotent: a download or an extraction goes to
 * a private temporary name and is renamed into place, so concurrent runs
 * (vitest workers, other test suites) either see nothing or a complete result.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './fixtures.js';

const execFileP = promisify(execFile);

/** The shared download cache; KLPT_CACHE_DIR overrides it. */
export const CACHE_DIR = process.env.KLPT_CACHE_DIR ?? join(REPO_ROOT, '.cache');
export const DEB_DIR = join(CACHE_DIR, 'debs');
export const EXTRACT_DIR = join(CACHE_DIR, 'extract');

const PACKAGE_RE = /^(linux-image-6\.1\.0-(\d+)-cloud-amd64-unsigned)_([^_]+)_amd64\.deb$/;

export interface DebianKernel {
  /** Package name, e.g. linux-image-6.1.0-56-cloud-amd64-unsigned. */
  packageName: string;
  /** Kernel release, e.g. 6.1.0-56-cloud-amd64. */
  release: string;
  deb: string;
  /** Root of the extracted package. */
  root: string;
  /** lib/modules/<release>/kernel inside root. */
  modulesDir: string;
}

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, {
      cwd,
      maxBuffer: 64 << 20,
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' },
    });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      const missing = `'${cmd}' not found: the Debian-module tests need a Debian host with apt and dpkg`;
      throw new Error(missing, { cause: err });
    }
    throw new Error(`'${cmd} ${args.join(' ')}' failed: ${e.stderr ?? e.message}`, { cause: err });
  }
}

function tmpName(dir: string, base: string): string {
  return join(dir, `.tmp-${base}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** The newest cached .deb of the package family, if any. */
async function cachedDeb(): Promise<string | undefined> {
  if (!existsSync(DEB_DIR)) return undefined;
  const debs = (await readdir(DEB_DIR))
    .map((f) => ({ f, m: PACKAGE_RE.exec(f) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(b.m![2]) - Number(a.m![2]));
  const pinned = process.env.KLPT_KVER;
  const pick = pinned ? debs.find((d) => d.m![1] === `linux-image-${pinned}-unsigned`) : debs[0];
  return pick ? join(DEB_DIR, pick.f) : undefined;
}

/** The kernel ABI to download: $KLPT_KVER, the e2e suite's choice, or apt's cloud metapackage. */
async function wantedRelease(): Promise<string> {
  if (process.env.KLPT_KVER) return process.env.KLPT_KVER;
  const e2e = join(CACHE_DIR, 'e2e', 'kver');
  if (existsSync(e2e)) {
    const v = (await readFile(e2e, 'utf8')).trim();
    if (/^6\.1\.0-\d+-cloud-amd64$/.test(v)) return v;
  }
  const ask = async (): Promise<string | undefined> => {
    const out = await sh('apt-cache', ['depends', 'linux-headers-cloud-amd64'], DEB_DIR).catch(() => '');
    return /linux-headers-(6\.1\.0-\d+-cloud-amd64)/.exec(out)?.[1];
  };
  let v = await ask();
  if (!v) {
    await sh('apt-get', ['update', '-qq'], DEB_DIR);
    v = await ask();
  }
  if (!v)
    throw new Error(
      'cannot find the Debian cloud kernel ABI (apt-cache depends linux-headers-cloud-amd64); ' +
        'set KLPT_KVER=6.1.0-N-cloud-amd64',
    );
  return v;
}

async function downloadDeb(): Promise<string> {
  const release = await wantedRelease();
  const pkg = `linux-image-${release}-unsigned`;
  await mkdir(DEB_DIR, { recursive: true });
  const tmp = tmpName(DEB_DIR, 'download');
  await mkdir(tmp);
  try {
    const get = () => sh('apt-get', ['download', '-qq', '-o', 'APT::Sandbox::User=root', pkg], tmp);
    await get().catch(async () => {
      await sh('apt-get', ['update', '-qq'], tmp);
      await get();
    });
    const f = (await readdir(tmp)).find((x) => PACKAGE_RE.test(x));
    if (!f) throw new Error(`apt-get download ${pkg} produced no .deb`);
    const dest = join(DEB_DIR, f);
    await rename(join(tmp, f), dest);
    return dest;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

let pending: Promise<DebianKernel> | undefined;

/** Downloads (once) and extracts (once) the Debian cloud kernel image package. */
export function ensureDebianKernel(): Promise<DebianKernel> {
  pending ??= (async () => {
    // Every command runs in an existing directory (a missing cwd also gives ENOENT).
    await mkdir(DEB_DIR, { recursive: true });
    const deb = (await cachedDeb()) ?? (await downloadDeb());
    const base = deb.slice(DEB_DIR.length + 1).replace(/\.deb$/, '');
    const m = PACKAGE_RE.exec(`${base}.deb`)!;
    const packageName = m[1]!;
    const release = packageName.replace(/^linux-image-/, '').replace(/-unsigned$/, '');
    const root = join(EXTRACT_DIR, base);
    if (!existsSync(root)) {
      await mkdir(EXTRACT_DIR, { recursive: true });
      const tmp = tmpName(EXTRACT_DIR, base);
      try {
        await sh('dpkg', ['-x', deb, tmp], EXTRACT_DIR);
        await rename(tmp, root).catch(async (err: NodeJS.ErrnoException) => {
          // Someone else finished first: theirs is complete, drop ours.
          if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
        });
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    const modulesDir = join(root, 'lib', 'modules', release, 'kernel');
    if (!existsSync(modulesDir)) throw new Error(`${deb}: no ${modulesDir} after extraction`);
    return { packageName, release, deb, root, modulesDir };
  })();
  pending.catch(() => (pending = undefined));
  return pending;
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.name.endsWith('.ko')) out.push(p);
  }
}

/** Every .ko in the package, sorted by path. */
export async function allDebianModules(): Promise<string[]> {
  const k = await ensureDebianKernel();
  const out: string[] = [];
  await walk(k.modulesDir, out);
  return out.sort();
}

/**
 * A deterministic sample of `count` modules: evenly spaced through the sorted
 * list, plus the few largest ones (those exercise the biggest tables).
 */
export async function sampleDebianModules(count: number, largest = 5): Promise<string[]> {
  const all = await allDebianModules();
  if (all.length <= count) return all;
  const picked = new Set<string>();
  const sizes = await Promise.all(all.map(async (p) => ({ p, size: (await stat(p)).size })));
  sizes.sort((a, b) => b.size - a.size);
  for (const s of sizes.slice(0, largest)) picked.add(s.p);
  const step = all.length / (count - picked.size);
  for (let x = 0; picked.size < count && x < all.length; x += step) picked.add(all[Math.floor(x)]!);
  return [...picked].sort();
}
