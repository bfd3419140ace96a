// The bundled sample (symbols-maps/sample/) in the e2e suite: a real
// livepatch module, its kernel's kallsyms dump and Module.symvers, made for
// one Debian ABI.  Debian drops old ABIs every few weeks, so the kernel under
// test is often another one; then the suite remakes the sample for that
// kernel from the same source (the steps of make-sample.sh: the module built
// by `build.sh raw`, the kallsyms dump of boot 1, the headers' Module.symvers)
// and runs the sample scenario on that.  It never skips it.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const SAMPLE_MODULE = 'klpt_cmdline';

/** The kernel ABI a sample directory was made for (from its map's name), if any. */
export function sampleKver(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const maps = readdirSync(dir).filter((f) => /^kallsyms-.+\.txt\.gz$/.test(f));
  if (maps.length !== 1) return undefined;
  return maps[0]!.replace(/^kallsyms-(.+)\.txt\.gz$/, '$1');
}

/** What the kernel under test provides to remake a sample. */
export interface SampleRebuildInputs {
  /** Kernel release under test (uname -r). */
  kver: string;
  /** SAMPLE_MODULE.ko built from test/e2e/modules by kbuild for that kernel. */
  builtModule: string;
  /** That kernel's /proc/kallsyms. */
  kallsyms: string;
  /** That kernel's Module.symvers. */
  symvers: string;
}

export interface SamplePlan {
  /** 'bundled': the sample's own files; 'rebuilt': remade for the kernel under test. */
  source: 'bundled' | 'rebuilt';
  /** The ABI the sample directory says it is for (undefined: none or ambiguous). */
  madeFor: string | undefined;
  module: string;
  symbols: string;
  symvers: string;
}

/**
 * Which files to convert and load for a sample directory on this kernel:
 * its own when it was made for this kernel, otherwise the same module remade
 * for it.  Every input must exist: a missing file is an error, not a skip.
 */
export function planSample(dir: string, inputs: SampleRebuildInputs): SamplePlan {
  const madeFor = sampleKver(dir);
  const plan: SamplePlan =
    madeFor === inputs.kver
      ? {
          source: 'bundled',
          madeFor,
          module: join(dir, `${SAMPLE_MODULE}.ko`),
          symbols: join(dir, `kallsyms-${madeFor}.txt.gz`),
          symvers: join(dir, 'Module.symvers.gz'),
        }
      : { source: 'rebuilt', madeFor, module: inputs.builtModule, symbols: inputs.kallsyms, symvers: inputs.symvers };
  for (const f of [plan.module, plan.symbols, plan.symvers]) {
    if (!existsSync(f))
      throw new Error(`sample in ${dir} (${plan.source}, made for ${madeFor ?? 'an unknown kernel'}): missing ${f}`);
  }
  return plan;
}

/**
 * A copy of a sample directory that claims another ABI (its map renamed):
 * what the suite sees the day Debian moves on.
 */
export function mismatchedSampleCopy(from: string, to: string, otherKver: string): string {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) {
    const name = /^kallsyms-.+\.txt\.gz$/.test(f) ? `kallsyms-${otherKver}.txt.gz` : f;
    copyFileSync(join(from, f), join(to, name));
  }
  return to;
}
