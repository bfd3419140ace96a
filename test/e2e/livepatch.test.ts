// End-to-end, once per cell of the matrix (x86_64 6.1 and 6.12 from
// Debian, our own ppc64le and s390x 6.1; KERNELS selects): build real
// livepatch modules with kbuild against the cell's kernel (cross-built where
// needed), convert them with klp-convert through kbuild/klp-convert.mk, boot
// that kernel under qemu, load them, and compare what the modules see with
// the guest's own /proc/kallsyms.  Every check's name starts with the cell,
// `<arch> <release>: ...`.  See docs/e2e.md.
//
// Two boots per cell (ppc64le has a third, for the sibling call):
//   boot 1 (raw modules): dump /proc/kallsyms (with klpt_target loaded) for
//          the symbol map; the unconverted livepatches must be refused; the
//          exported-only livepatch must work unconverted.
//   boot 2 (converted modules): every scenario of guest/tests/.
// Between the boots, `klp-convert symbols` makes a map of the built
// klpt_target.ko (source files, kallsyms order), which the conversion reads
// before the kallsyms dump.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  addrs,
  cat,
  chunks,
  dmesg,
  E2E_DIR,
  E2E_ENABLED,
  e2eEnv,
  selectedCells,
  hex,
  klpConvert,
  insmods,
  kallsyms,
  kallsymsOf,
  missingPrerequisites,
  parseKallsymsLine,
  prerequisiteMessage,
  readBoot,
  readSymvers,
  REPO_DIR,
  run,
  scenario,
  step,
  tail,
  values,
  writeJson,
  type BootResult,
  type CellId,
  type E2EEnv,
  type StepResult,
} from './harness.js';
import { badNopCopy, R_PPC64_ADDR64, R_PPC64_REL24, siblingCopy } from './ppc64.js';
import { mismatchedSampleCopy, planSample, SAMPLE_MODULE, type SamplePlan } from './sample.js';
import {
  type ElfContents,
  readElfFile,
  SHF_ALLOC,
  SHF_INFO_LINK,
  SHF_RELA_LIVEPATCH,
  SHN_LIVEPATCH,
  SHN_UNDEF,
  SHT_RELA,
} from '../support/elf-bytes.js';

const BYFILE = ['klpt_byfile_main', 'klpt_byfile_extra'];
const LIVEPATCHES = [
  'klpt_exported',
  'klpt_cmdline',
  'klpt_sympos1',
  'klpt_sympos2',
  'klpt_sympos3',
  'klpt_modpatch',
  'klpt_keys',
  ...BYFILE,
];
const BOOT1 = 'dump,raw,exported';
const BOOT2 = 'exported,cmdline,sympos,modpatch,byfile,keys,sample';
/** ppc64le only: the sibling call crashes the guest, so it gets a boot of its own. */
const BOOT3_PPC64 = 'sibling';
const SAMPLE_DIR = join(REPO_DIR, 'symbols-maps/sample');
/** Undefined names the module loader resolves itself (ppc64's TOC base), not through exports. */
const LOADER_RESOLVED = new Set(['.TOC.', '_GLOBAL_OFFSET_TABLE_']);
/** An ABI no Debian kernel has: the mismatched sample copy claims it. */
const MISMATCHED_KVER = '6.1.0-0-cloud-amd64';
type SampleVariant = 'bundled' | 'mismatched';
const KLP_FLAGS = SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH;

interface State {
  env: E2EEnv;
  timings: Record<string, number | string>;
  boot1?: BootResult;
  boot2?: BootResult;
  kallsymsFile?: string;
  /** `klp-convert symbols` map of the raw klpt_target.ko. */
  targetMap?: string;
  /** KLP_SYMBOLS of the klp build: the target's map, then the kallsyms dump. */
  klpSymbols?: string;
  /** Why there are no converted modules (CLI missing, conversion failed). */
  convertError?: string;
  boot2Error?: string;
  /** How each sample variant was converted, and why one was not. */
  samples: Partial<Record<SampleVariant, SamplePlan>>;
  sampleErrors: Partial<Record<SampleVariant, string>>;
  exports?: Map<string, string>;
  /** ppc64le: klp-convert on the raw klpt_sibling.ko (it must refuse). */
  siblingRefusal?: StepResult;
  /** ppc64le: where the patched copies are, or why they are not. */
  ppcCopies?: { badnop: { offset: bigint; word: number }; sibling: { offset: bigint } };
  ppcCopiesError?: string;
  boot3?: BootResult;
  boot3Error?: string;
}

/** What differs between the cells, as each kernel really behaves. */
interface CellProfile {
  /** A kallsyms dump shorter than this is cut (Debian's ~87k-155k lines; ours ~20k). */
  minKallsyms: number;
  /** CONFIG_JUMP_LABEL: static branches have __jump_table entries. */
  jumpLabel: boolean;
  /** pv_ops paravirt calls (x86_64 CONFIG_PARAVIRT_XXL). */
  pvOps: boolean;
  /** Reloading a patched module while its livepatch stays loaded. */
  reload: 'works' | 'refused';
  /** The loader's message when it refuses. */
  refusalLog?: RegExp;
}

/** "6.12.117+deb12-cloud-amd64" is at least major.minor. */
function releaseAtLeast(release: string, major: number, minor: number): boolean {
  const m = release.match(/^(\d+)\.(\d+)/);
  if (!m) return false;
  return Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor);
}

function cellProfile(env: E2EEnv): CellProfile {
  if (env.arch === 'x86_64') {
    // Debian's cloud kernels.  Before 6.4 (klp_clear_object_relocs) the x86
    // loader finds the first load's values still in place and refuses.
    return {
      minKallsyms: 50000,
      jumpLabel: true,
      pvOps: true,
      reload: releaseAtLeast(env.kver, 6, 4) ? 'works' : 'refused',
      refusalLog: /^module: x86\/modules: Skipping invalid relocation target, existing value is nonzero for type \d+, /,
    };
  }
  // Our ppc64le and s390x 6.1 kernels (test/e2e/kernels): no JUMP_LABEL; their
  // loaders write a module's relocations again without looking at what is
  // there, so 6.1 reloads the patched module under the livepatch.
  return { minKallsyms: 15000, jumpLabel: false, pvOps: false, reload: 'works' };
}

/** .klp.sym.<obj>.<name>,<pos> symbols of a converted module. */
function klpSymbols(elf: ElfContents): { obj: string; name: string; pos: number; shndx: number }[] {
  return elf.symbols
    .filter((s) => s.name.startsWith('.klp.sym.'))
    .map((s) => {
      const m = s.name.match(/^\.klp\.sym\.([^.]+)\.([^,]+),(\d+)$/);
      if (!m) throw new Error(`${elf.file}: badly formed klp symbol name '${s.name}'`);
      return { obj: m[1]!, name: m[2]!, pos: Number(m[3]), shndx: s.shndx };
    });
}

type Positions = Record<string, { object: string; position: number }>;

/** The positions a module asks for: its YAML file, or else its KLP_SYMPOS annotations. */
function positions(module: string): Positions {
  const yaml = join(E2E_DIR, 'modules', `${module}.yaml`);
  if (existsSync(yaml)) return parseYaml(readFileSync(yaml, 'utf8')) as Positions;
  const src = readFileSync(join(E2E_DIR, 'modules', `${module}.c`), 'utf8');
  const out: Positions = {};
  for (const block of src.matchAll(/KLP_MODULE_RELOC\((\w+)\) = \{([^}]*)\}/g)) {
    for (const m of block[2]!.matchAll(/KLP_SYMPOS\((\w+), (\d+)\)/g)) out[m[1]!] = { object: block[1]!, position: Number(m[2]) };
  }
  if (Object.keys(out).length === 0) throw new Error(`${module}: neither a positions file nor annotations`);
  return out;
}

/** A positions-file entry. */
interface Hint {
  object?: string;
  position?: number;
  file?: string;
  type?: 'func' | 'object';
}

/** 'func' or 'object' for a kallsyms / nm letter. */
function symbolType(letter: string): 'func' | 'object' | undefined {
  if ('TtWw'.includes(letter)) return 'func';
  if ('DdBbRrGgSsVv'.includes(letter)) return 'object';
  return undefined;
}

/**
 * The definitions of a name in one object of a compact map
 * (klp-convert-symbols 1, symbols-maps/README.md), in rank order, with their
 * source files; load-only ('-') lines are not counted.
 */
function compactMapDefinitions(file: string, object: string, name: string): { kind: string; file?: string }[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  expect(lines[0], `${file}: header`).toBe('klp-convert-symbols 1');
  const out: { kind: string; file?: string }[] = [];
  const files = new Map<string, string>();
  let inObject = false;
  for (const line of lines.slice(1)) {
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      inObject = line.slice(1).split(' ')[0] === object;
      files.clear();
      continue;
    }
    if (!inObject) continue;
    const f = line.match(/^@(\d+) (.+)$/);
    if (f) {
      files.set(f[1]!, f[2]!);
      continue;
    }
    const m = line.match(/^(\S)\+?(-?)(\d*) (.+)$/);
    if (!m) throw new Error(`${file}: unexpected line '${line}'`);
    if (m[4] !== name || m[2] === '-') continue;
    out.push(m[3] ? { kind: m[1]!, file: files.get(m[3]) } : { kind: m[1]! });
  }
  return out;
}

/** The initialiser of klpt_target_dup in one of klpt_target's source files. */
function dupInitialiser(file: string): string {
  const m = readFileSync(join(E2E_DIR, 'modules', file), 'utf8').match(/static int klpt_target_dup __used = (-?\d+);/);
  if (!m) throw new Error(`modules/${file}: no klpt_target_dup initialiser`);
  return m[1]!;
}

/** Every check of one cell of the matrix, named `<arch> <release>: ...`. */
function cellSuite(cell: CellId): void {
  const state: State = { env: e2eEnv(cell), timings: {}, samples: {}, sampleErrors: {} };
  const L = state.env.label;
  /** The environment every step script needs. */
  const CELL_ENV = { CELL: cell };
  const profile = cellProfile(state.env);

  function rawKo(name: string): string {
    return join(state.env.buildDir, 'raw', `${name}.ko`);
  }
  function klpKo(name: string): string {
    return join(state.env.buildDir, 'klp', `${name}.ko`);
  }
  function boot1(): BootResult {
    if (!state.boot1) throw new Error('boot 1 did not run');
    return state.boot1;
  }
  function boot2(): BootResult {
    if (state.convertError) throw new Error(`no converted modules: ${state.convertError}`);
    if (state.boot2Error || !state.boot2) throw new Error(`boot 2 failed: ${state.boot2Error ?? 'did not run'}`);
    return state.boot2;
  }
  function converted(name: string): ElfContents {
    if (state.convertError) throw new Error(`no converted modules: ${state.convertError}`);
    return readElfFile(klpKo(name));
  }

  /** Names a module leaves undefined that vmlinux does not export. */
  function unexportedUndefined(elf: ElfContents): Set<string> {
    const exports = state.exports!;
    return new Set(
      elf.symbols
        .filter(
          (s) =>
            s.index > 0 &&
            s.shndx === SHN_UNDEF &&
            s.name !== '' &&
            !exports.has(s.name) &&
            !LOADER_RESOLVED.has(s.name),
        )
        .map((s) => s.name),
    );
  }

  /** klp-convert with this cell's boot-1 map and Module.symvers. */
  async function convertWithMaps(input: string, output: string): Promise<StepResult> {
    return klpConvert([
      '--symbols', state.kallsymsFile!,
      '--symvers', join(state.env.kdir, 'Module.symvers'),
      input,
      output,
    ]);
  }

  /** ppc64le: the badnop and sibling copies (ppc64.ts) in <extra>/badnop and <extra>/sibling. */
  async function preparePpcCopies(extra: string): Promise<void> {
    try {
      mkdirSync(join(extra, 'badnop'), { recursive: true });
      mkdirSync(join(extra, 'sibling'), { recursive: true });
      state.siblingRefusal = await convertWithMaps(
        rawKo('klpt_sibling'),
        join(state.env.buildDir, 'klpt_sibling.refused.ko'),
      );
      const badnop = badNopCopy(
        klpKo('klpt_cmdline'),
        join(extra, 'badnop', 'klpt_cmdline.ko'),
        '.klp.sym.vmlinux.nr_processes,0',
      );
      const sibling = await siblingCopy(
        rawKo('klpt_sibling'),
        join(state.env.buildDir, 'klpt_sibling'),
        join(extra, 'sibling', 'klpt_sibling.ko'),
        'nr_processes',
        async (i, o) => {
          const r = await convertWithMaps(i, o);
          if (r.code !== 0) throw new Error(`klp-convert ${i}: exit ${r.code}\n${tail(r.stderr, 10)}`);
        },
      );
      state.ppcCopies = { badnop, sibling };
    } catch (e) {
      state.ppcCopiesError = (e as Error).message;
    }
  }

  describe.skipIf(!E2E_ENABLED)(`${L}: the kernel in qemu accepts what klp-convert writes`, () => {
    beforeAll(async () => {
      const env = state.env;
      const missing = missingPrerequisites(env);
      if (missing.length > 0) throw new Error(prerequisiteMessage(env, missing));
      state.exports = readSymvers(join(env.kdir, 'Module.symvers'));
      mkdirSync(env.buildDir, { recursive: true });
      for (const d of ['raw', 'klp']) rmSync(join(env.buildDir, d), { recursive: true, force: true });
      const b = env.buildDir;

      // Build and boot 1: raw modules.
      state.timings.buildRaw = (await step('build.sh', ['raw'], CELL_ENV)).seconds;
      await step('mkinitramfs.sh', [join(b, 'initramfs-1.cpio.gz'), join(b, 'raw')], CELL_ENV);
      await step('boot.sh', [join(b, 'initramfs-1.cpio.gz'), BOOT1, join(b, 'boot-1')], CELL_ENV);
      state.boot1 = readBoot(join(b, 'boot-1'));
      state.timings.boot1 = state.boot1.info.seconds;
      state.timings.accel = state.boot1.info.accel;
      const dump = state.boot1.kallsymsDump;
      if (!dump || dump.length < 10000 || !state.boot1.done) {
        throw new Error(
          `boot 1 did not deliver a kallsyms dump (${dump?.length ?? 0} lines` +
            `${state.boot1.dumpError ? `; ${state.boot1.dumpError}` : ''}); ` +
            `console:\n${tail(state.boot1.console, 25)}`,
        );
      }
      state.kallsymsFile = join(b, 'kallsyms.txt');
      writeFileSync(state.kallsymsFile, dump.join('\n') + '\n');

      // Conversion through kbuild/klp-convert.mk (needs the CLI).
      const help = await klpConvert(['--help']);
      if (help.code !== 0) {
        state.convertError =
          `the klp-convert CLI does not run (node bin/klp-convert.js --help: exit ${help.code}); ` +
          `build it with \`npm run build\`:\n` +
          tail(help.stderr, 8);
        return;
      }
      // A map of the target module as built, with its source files: the first
      // map that describes klpt_target answers for it, so it comes before the
      // kallsyms dump (which answers for vmlinux).
      state.targetMap = join(b, 'klpt_target.klps');
      const map = await klpConvert(['symbols', '--modules', rawKo('klpt_target'), '-o', state.targetMap]);
      state.timings.mapTarget = map.seconds;
      if (map.code !== 0) {
        state.convertError = `klp-convert symbols on klpt_target.ko failed, exit ${map.code}:\n${tail(map.stderr, 20)}`;
        return;
      }
      state.klpSymbols = `${state.targetMap} ${state.kallsymsFile}`;
      const klp = await run(join(E2E_DIR, 'build.sh'), ['klp'], {
        env: { ...CELL_ENV, KLP_SYMBOLS: state.klpSymbols },
      });
      state.timings.buildKlp = klp.seconds;
      if (klp.code !== 0) {
        state.convertError =
          `make (kbuild + klp-convert.mk) failed, exit ${klp.code}:\n${tail(klp.stderr + klp.stdout, 40)}`;
        return;
      }

      // The bundled sample, converted with its bundled maps when it was made
      // for this kernel, else remade for it (sample.ts); and a copy of it that
      // claims another ABI, which must be remade: the day Debian moves on.
      const sampleDir = join(b, 'sample-klp');
      rmSync(sampleDir, { recursive: true, force: true });
      const mismatched = mismatchedSampleCopy(SAMPLE_DIR, join(b, 'sample-mismatched'), MISMATCHED_KVER);
      const inputs = {
        kver: env.kver,
        builtModule: rawKo(SAMPLE_MODULE),
        kallsyms: state.kallsymsFile,
        symvers: join(env.kdir, 'Module.symvers'),
      };
      for (const [variant, dir] of [['bundled', SAMPLE_DIR], ['mismatched', mismatched]] as const) {
        try {
          const plan = planSample(dir, inputs);
          state.samples[variant] = plan;
          mkdirSync(join(sampleDir, variant), { recursive: true });
          const r = await klpConvert([
            '--symbols', plan.symbols,
            '--symvers', plan.symvers,
            plan.module,
            join(sampleDir, variant, `${SAMPLE_MODULE}.ko`),
          ]);
          if (r.code !== 0)
            state.sampleErrors[variant] =
              `klp-convert on the ${variant} sample failed (exit ${r.code}):\n${tail(r.stderr, 20)}`;
        } catch (e) {
          state.sampleErrors[variant] = (e as Error).message;
        }
      }

      // ppc64le: copies klp-convert refuses, to see what the kernel does with them.
      const extraDir = join(b, 'extra');
      rmSync(extraDir, { recursive: true, force: true });
      mkdirSync(extraDir, { recursive: true });
      if (env.arch === 'ppc64le') await preparePpcCopies(extraDir);

      // Boot 2: converted modules (and the raw ones, for klpt_target).
      const boot2Scenarios = env.arch === 'ppc64le' ? `${BOOT2},ppcnop` : BOOT2;
      try {
        await step(
          'mkinitramfs.sh',
          [join(b, 'initramfs-2.cpio.gz'), join(b, 'raw'), join(b, 'klp'), sampleDir, extraDir],
          CELL_ENV,
        );
        await step('boot.sh', [join(b, 'initramfs-2.cpio.gz'), boot2Scenarios, join(b, 'boot-2')], CELL_ENV);
      } catch (e) {
        state.boot2Error = (e as Error).message;
      }
      // Boot 3 (ppc64le): the sibling call, which takes the guest down.
      if (env.arch === 'ppc64le' && !state.ppcCopiesError) {
        try {
          await step('boot.sh', [join(b, 'initramfs-2.cpio.gz'), BOOT3_PPC64, join(b, 'boot-3')], CELL_ENV);
        } catch (e) {
          state.boot3Error = (e as Error).message;
        }
        if (existsSync(join(b, 'boot-3', 'boot.json'))) {
          state.boot3 = readBoot(join(b, 'boot-3'));
          state.timings.boot3 = state.boot3.info.seconds;
        }
      }
      if (existsSync(join(b, 'boot-2', 'boot.json'))) {
        state.boot2 = readBoot(join(b, 'boot-2'));
        state.timings.boot2 = state.boot2.info.seconds;
      }
    });

    afterAll(() => {
      if (!state.env.kver || !existsSync(state.env.buildDir)) return;
      writeJson(join(state.env.buildDir, 'timings.json'), { kver: state.env.kver, ...state.timings });
      console.log(`e2e timings (s): ${JSON.stringify(state.timings)}`);
    });

    it(`${L}: boots the kernel and dumps its /proc/kallsyms (boot 1)`, () => {
      const b = boot1();
      expect(b.done, 'results port complete').toBe(true);
      expect(b.release).toBe(state.env.kver);
      const ks = b.kallsymsDump!;
      expect(ks.length).toBeGreaterThan(profile.minKallsyms);
      const parsed = ks.map(parseKallsymsLine);
      expect(parsed.filter((k) => k === null).length, 'unparsable kallsyms lines').toBe(0);
      expect(parsed.some((k) => k?.name === 'klpt_target_secret' && k.module === 'klpt_target')).toBe(true);
    });

    it(`${L}: refuses every unconverted livepatch with "Unknown symbol" ` +
      `(the conversion is what makes them load)`, () => {
      const s = scenario(boot1(), 'raw');
      const loads = insmods(s.lines);
      const log = dmesg(s.lines);
      for (const name of LIVEPATCHES.filter((n) => n !== 'klpt_exported')) {
        const load = loads.find((l) => l.name === name);
        expect(load, `insmod ${name}`).toBeDefined();
        expect(load!.rc, `insmod ${name} must fail`).not.toBe(0);
        const unresolved = unexportedUndefined(readElfFile(rawKo(name)));
        expect(unresolved.size, `${name} has unexported undefined symbols`).toBeGreaterThan(0);
        const reported = new Set(
          log
            .map((l) => l.match(new RegExp(`^${name}: Unknown symbol (\\S+) \\(err -2\\)$`))?.[1])
            .filter((x): x is string => !!x),
        );
        expect([...reported].sort()).toEqual([...unresolved].sort());
      }
    });

    it(`${L}: loads the exported-only livepatch${profile.pvOps ? ' (pv_ops calls)' : ''} unconverted`, () => {
      checkExported(scenario(boot1(), 'exported').lines, 'raw', boot1(), profile.pvOps);
    });

    it(`${L}: converts the livepatches as part of \`make\` (kbuild/klp-convert.mk)`, () => {
      if (state.convertError) throw new Error(state.convertError);
      const dir = join(state.env.buildDir, 'klp');
      // klpt_target is not a livepatch: left alone.
      expect(existsSync(join(dir, 'klpt_target.ko.unconverted'))).toBe(false);
      expect(klpSymbols(readElfFile(klpKo('klpt_target')))).toEqual([]);
      for (const name of LIVEPATCHES) {
        expect(existsSync(join(dir, `${name}.ko.unconverted`)), `${name}.ko.unconverted`).toBe(true);
        expect(existsSync(join(dir, `.${name}.ko.klp.cmd`)), `.${name}.ko.klp.cmd`).toBe(true);
        const raw = readElfFile(rawKo(name));
        const elf = converted(name);
        expect(elf.modinfo()).toContain('livepatch=Y');
        // Nothing the loader cannot resolve is left undefined...
        expect([...unexportedUndefined(elf)], `${name}: unexported undefined symbols left`).toEqual([]);
        // ...because each of them became a klp symbol.
        const ksyms = klpSymbols(elf);
        expect(new Set(ksyms.map((k) => k.name))).toEqual(unexportedUndefined(raw));
        for (const k of ksyms) expect(k.shndx, `${name}: .klp.sym ${k.name} st_shndx`).toBe(SHN_LIVEPATCH);
        if (ksyms.length > 0) checkKlpSections(elf);
      }
    });

    it(`${L}: keeps exported vmlinux symbols${profile.pvOps ? ' and pv_ops paravirt calls' : ''} ordinary`, () => {
      const elf = converted('klpt_exported');
      expect(klpSymbols(elf)).toEqual([]);
      expect(elf.sections.filter((s) => s.name.startsWith('.klp.'))).toEqual([]);
      // Exported symbols stay undefined, resolved by the loader like in any module.
      for (const name of profile.pvOps ? ['init_uts_ns', 'pv_ops'] : ['init_uts_ns']) {
        expect(elf.symbols.find((s) => s.name === name)?.shndx, name).toBe(SHN_UNDEF);
      }
      // pv_ops relocations in loaded code, as in the raw module.
      const pvRelocs = (e: ElfContents) =>
        e.sections
          .filter((s) => s.type === SHT_RELA && ((e.sections[s.info]?.flags ?? 0n) & SHF_ALLOC) !== 0n)
          .flatMap((s) => e.relas(s).filter((r) => r.symbol.name === 'pv_ops').map((r) => `${s.name}+${r.offset}`));
      if (profile.pvOps) expect(pvRelocs(elf).length).toBeGreaterThan(0);
      else expect(elf.symbols.find((s) => s.name === 'pv_ops'), 'no pv_ops on this architecture').toBeUndefined();
      expect(pvRelocs(elf)).toEqual(pvRelocs(readElfFile(rawKo('klpt_exported'))));
      checkExported(scenario(boot2(), 'exported').lines, 'klp', boot2(), profile.pvOps);
    });

    it(`${L}: resolves a unique unexported vmlinux function and data, ` +
      `from .text and .data, to the kallsyms addresses`, () => {
      const elf = converted('klpt_cmdline');
      const secs = elf.sections.filter((s) => s.name.startsWith('.klp.rela.vmlinux.')).map((s) => s.name);
      // .data, or .data.rel where the data holds relocations (ppc64le, s390x).
      expect(
        secs.some((n) => /^\.klp\.rela\.vmlinux\.\.data(\.rel)?$/.test(n)),
        secs.join(' '),
      ).toBe(true);
      expect(secs.some((n) => n.startsWith('.klp.rela.vmlinux..text'))).toBe(true);
      expect(
        klpSymbols(elf)
          .map((k) => `${k.obj}.${k.name},${k.pos}`)
          .sort(),
      ).toEqual(['vmlinux.nr_processes,0', 'vmlinux.saved_command_line,0']);

      const b = boot2();
      const s = scenario(b, 'cmdline');
      expect(insmods(s.lines).find((l) => l.name === 'klpt_cmdline')?.rc).toBe(0);
      const ks = kallsyms(s.lines);
      const seen = addrs(s.lines, 'klpt_cmdline');
      for (const [label, sym] of [
        ['saved_command_line', 'saved_command_line'],
        ['data:saved_command_line', 'saved_command_line'],
        ['nr_processes', 'nr_processes'],
        ['data:nr_processes', 'nr_processes'],
      ] as const) {
        const k = kallsymsOf(ks, sym);
        expect(k.length, `${sym} is unique in kallsyms`).toBe(1);
        expect(hex(seen.get(label)), label).toBe(hex(k[0]!.addr));
      }
      const v = values(s.lines, 'klpt_cmdline');
      expect(v.get('saved_command_line')).toBe(`[${b.bootCmdline}]`);
      expect(Number(v.get('nr_processes'))).toBeGreaterThan(0);
    });

    it(`${L}: patches /proc/cmdline; disabling and removing the livepatch restores it`, () => {
      const b = boot2();
      const s = scenario(b, 'cmdline');
      expect(cat(s.lines, 'before')).toEqual([b.bootCmdline]);
      const patched = cat(s.lines, 'patched');
      expect(patched).toHaveLength(1);
      const m = patched[0]!.match(/^KLPT-PATCHED klpt_cmdline nr_processes=(\d+) cmdline=\[(.*)\]$/);
      expect(m, patched[0]).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(0);
      expect(m![2]).toBe(b.bootCmdline);
      expect(s.lines).toContain('KLPT-LP klpt_cmdline enabled=1 transition=0');
      const log = dmesg(s.lines);
      expect(log).toContain("livepatch: 'klpt_cmdline': patching complete");
      expect(log).toContain("livepatch: 'klpt_cmdline': unpatching complete");
      expect(s.lines).toContain('KLPT-LP-DISABLE klpt_cmdline gone');
      expect(cat(s.lines, 'disabled')).toEqual([b.bootCmdline]);
      expect(s.lines).toContain('KLPT-RMMOD klpt_cmdline rc=0');
      expect(cat(s.lines, 'removed')).toEqual([b.bootCmdline]);
    });

    it(`${L}: resolves duplicated vmlinux statics by position (positions file or source annotations), ` +
      `each position to its own address`, () => {
      const s = scenario(boot2(), 'sympos');
      const ks = kallsyms(s.lines);
      const variants = chunks(s.lines, 'KLPT-VARIANT');
      const chosen = new Map<string, Set<number>>();
      for (const module of ['klpt_sympos1', 'klpt_sympos2', 'klpt_sympos3']) {
        const pos = positions(module);
        const ksyms = klpSymbols(converted(module));
        const lines = variants.get(module);
        expect(lines, `${module} ran`).toBeDefined();
        expect(insmods(lines!).find((l) => l.name === module)?.rc, `insmod ${module}`).toBe(0);
        const seen = addrs(lines!, module);
        const patched = cat(lines!, 'patched');
        expect(patched).toHaveLength(1);
        for (const [name, p] of Object.entries(pos)) {
          const copies = kallsymsOf(ks, name);
          expect(copies.length, `${name} appears at least twice in kallsyms`).toBeGreaterThanOrEqual(2);
          expect(p.position).toBeGreaterThanOrEqual(1);
          expect(ksyms).toContainEqual({ obj: 'vmlinux', name, pos: p.position, shndx: SHN_LIVEPATCH });
          const want = hex(copies[p.position - 1]!.addr);
          expect(hex(seen.get(name)), `${module}: ${name},${p.position}`).toBe(want);
          expect(patched[0]).toContain(`${name}=${want}`);
          if (!chosen.has(name)) chosen.set(name, new Set());
          chosen.get(name)!.add(p.position);
        }
      }
      // Between them, the modules use two different copies of every name.
      for (const [name, set] of chosen) expect(set.size, name).toBe(2);
      // The annotations are consumed: their sections are gone from the output.
      expect(readElfFile(rawKo('klpt_sympos3')).section('.klp.module_relocs.vmlinux')).toBeDefined();
      const annotated = converted('klpt_sympos3');
      expect(
        annotated.sections.filter((sec) => sec.name.includes('.klp.module_relocs')).map((sec) => sec.name),
      ).toEqual([]);
    });

    it(`${L}: resolves another module's unexported symbols, ` +
      `with the livepatch loaded before or after it, across reloads`, () => {
      const elf = converted('klpt_modpatch');
      const secs = elf.sections.filter((sec) => sec.name.startsWith('.klp.rela.')).map((sec) => sec.name);
      expect(secs.length).toBeGreaterThan(0);
      for (const n of secs) expect(n.startsWith('.klp.rela.klpt_target.'), n).toBe(true);
      expect(
        klpSymbols(elf)
          .map((k) => `${k.obj}.${k.name},${k.pos}`)
          .sort(),
      ).toEqual([
        `klpt_target.klpt_target_dup,${positions('klpt_modpatch').klpt_target_dup!.position}`,
        'klpt_target.klpt_target_secret,0',
      ]);

      const s = scenario(boot2(), 'modpatch');
      const steps = chunks(s.lines, 'KLPT-STEP');
      const dupPos = positions('klpt_modpatch').klpt_target_dup!.position;
      for (const name of ['patched', 'reloaded', 'late', 'late-reloaded']) {
        const lines = steps.get(name);
        expect(lines, `step ${name}`).toBeDefined();
        const shown = cat(lines!, name);
        expect(shown, `step ${name}: /proc/klpt_target`).toHaveLength(1);
        const m = shown[0]!.match(
          /^KLPT-TARGET patched secret=(\d+) secret_addr=([0-9a-f]+) dup=(\d+) dup_addr=([0-9a-f]+)$/,
        );
        expect(m, `step ${name}: ${shown[0]}`).not.toBeNull();
        const ks = kallsyms(lines!);
        const secret = kallsymsOf(ks, 'klpt_target_secret', 'klpt_target');
        const dups = kallsymsOf(ks, 'klpt_target_dup', 'klpt_target');
        expect(secret).toHaveLength(1);
        expect(dups).toHaveLength(2);
        expect(m![2], `step ${name}: klpt_target_secret`).toBe(hex(secret[0]!.addr));
        expect(m![1]).toBe('5555');
        expect(m![4], `step ${name}: klpt_target_dup,${dupPos}`).toBe(hex(dups[dupPos - 1]!.addr));
        // Position 2 is the copy in klpt_target_extra.c (linked second), value 2.
        expect(m![3]).toBe(String(dupPos));
      }
      for (const name of ['original', 'disabled', 'late-disabled']) {
        expect(cat(steps.get(name) ?? [], name), `step ${name}`).toEqual(['KLPT-TARGET original extra=2 kind=3']);
      }

      const orders = chunks(s.lines, 'KLPT-ORDER');
      const applying = (lines: string[]) =>
        dmesg(lines).filter((l) => l === "livepatch: applying patch 'klpt_modpatch' to loading module 'klpt_target'")
          .length;
      for (const order of ['target-first', 'patch-first']) {
        const lines = orders.get(order)!;
        expect(lines, order).toBeDefined();
        const [before, after] = splitAt(lines, `KLPT-RELOAD ${order}`);
        expect(
          insmods(before).filter((l) => l.rc !== 0),
          `${order}: loads before the reload`,
        ).toEqual([]);
        // Late relocation: the kernel applied the patch to the loading module.
        expect(applying(before), `${order}: late relocations at first load`).toBe(order === 'patch-first' ? 1 : 0);
        const refused = after.includes(`KLPT-RELOAD-REFUSED ${order}`);
        // Each kernel's real behaviour, asserted: since 6.4 the livepatch
        // core clears a livepatch's relocations to a module that goes away
        // (klp_clear_object_relocs), so the reload works; before, the x86
        // loader finds the old values still there and refuses.
        const expected = profile.reload;
        expect(
          refused ? 'refused' : 'works',
          `${order}: reload of klpt_target under the loaded livepatch on ${state.env.kver}`,
        ).toBe(expected);
        if (!refused) {
          expect(insmods(after).filter((l) => l.rc !== 0)).toEqual([]);
          expect(applying(after), `${order}: reload under the livepatch`).toBe(1);
        } else {
          // The kernel kept the values of the first load in the livepatch's
          // relocation targets and refused the reload; then both come back
          // fresh and must resolve right.
          const [reload, retry] = splitAt(after, `KLPT-RELOAD-REFUSED ${order}`);
          expect(insmods(reload).map((l) => l.rc)).not.toContain(0);
          const log = dmesg(reload);
          if (profile.refusalLog)
            expect(
              log.some((l) => profile.refusalLog!.test(l)),
              log.join('\n'),
            ).toBe(true);
          expect(log).toContain(
            "livepatch: patch 'klpt_modpatch' failed for module 'klpt_target', refusing to load module 'klpt_target'",
          );
          expect(
            insmods(retry).filter((l) => l.rc !== 0),
            `${order}: fresh reload`,
          ).toEqual([]);
          expect(applying(retry)).toBe(order === 'patch-first' ? 1 : 0);
        }
      }
    });

    it(`${L}: picks duplicated names by source file and by type (a map made from ` +
      `the .ko by \`klp-convert symbols\`), each to its own address and value`, () => {
      // The generated map: both copies of each name, with their files and
      // types, in link order (klpt_target-y), the order the kernel counts.
      const defs = compactMapDefinitions(state.targetMap ?? '(no map)', 'klpt_target', 'klpt_target_dup');
      expect(
        defs.map((d) => d.file),
        `${state.targetMap}: klpt_target_dup`,
      ).toEqual(['klpt_target_main.c', 'klpt_target_extra.c']);
      const kinds = compactMapDefinitions(state.targetMap ?? '(no map)', 'klpt_target', 'klpt_target_kind');
      expect(kinds.map((d) => symbolType(d.kind)).sort(), `${state.targetMap}: klpt_target_kind`).toEqual([
        'func',
        'object',
      ]);
      const s = scenario(boot2(), 'byfile');
      const variants = chunks(s.lines, 'KLPT-VARIANT');
      const dupPositions: number[] = [];
      const kindPositions: number[] = [];
      for (const module of BYFILE) {
        // The author gives a file or a type, never a position.
        const hints = parseYaml(readFileSync(join(E2E_DIR, 'modules', `${module}.yaml`), 'utf8')) as Record<
          string,
          Hint
        >;
        expect(Object.keys(hints).sort()).toEqual(['klpt_target_dup', 'klpt_target_kind']);
        for (const [name, h] of Object.entries(hints)) expect(h.position, `${module}.yaml: ${name}`).toBeUndefined();
        const dupFile = hints.klpt_target_dup!.file!;
        const dupPos = defs.findIndex((d) => d.file === dupFile) + 1;
        expect(dupPos, `${module}: ${dupFile} in the map`).toBeGreaterThan(0);
        const kindType = hints.klpt_target_kind!.type!;
        const kindPos = kinds.findIndex((d) => symbolType(d.kind) === kindType) + 1;
        expect(kindPos, `${module}: klpt_target_kind of type ${kindType} in the map`).toBeGreaterThan(0);
        dupPositions.push(dupPos);
        kindPositions.push(kindPos);

        // The converted module carries the positions the map says.
        expect(
          klpSymbols(converted(module))
            .map((k) => `${k.obj}.${k.name},${k.pos}`)
            .sort(),
        ).toEqual([`klpt_target.klpt_target_dup,${dupPos}`, `klpt_target.klpt_target_kind,${kindPos}`]);

        // The kernel resolves them to the copies meant.
        const lines = variants.get(module);
        expect(lines, `${module} ran`).toBeDefined();
        expect(insmods(lines!).map((l) => `${l.name} rc=${l.rc}`)).toEqual(
          ['klpt_target', module, module, 'klpt_target'].map((n) => `${n} rc=0`),
        );
        expect(lines!.filter((l) => /^KLPT-RMMOD \S+ rc=[1-9]/.test(l))).toEqual([]);
        const initialiser = dupInitialiser(dupFile);
        const steps = chunks(lines!, 'KLPT-STEP');
        for (const order of ['target-first', 'patch-first']) {
          const stepLines = steps.get(order);
          expect(stepLines, `${module}: step ${order}`).toBeDefined();
          const shown = cat(stepLines!, order);
          expect(shown, `${module} ${order}: /proc/klpt_target`).toHaveLength(1);
          const m = shown[0]!.match(
            /^KLPT-TARGET (\S+) dup=(-?\d+) dup_addr=([0-9a-f]+) kind=(-?\d+) kind_addr=([0-9a-f]+)$/,
          );
          expect(m, `${module} ${order}: ${shown[0]}`).not.toBeNull();
          expect(m![1]).toBe(module);
          const ks = kallsyms(stepLines!);
          const dups = kallsymsOf(ks, 'klpt_target_dup', 'klpt_target');
          expect(dups, `${module} ${order}: klpt_target_dup in kallsyms`).toHaveLength(2);
          expect(m![3], `${module} ${order}: klpt_target_dup,${dupPos} (${dupFile})`).toBe(hex(dups[dupPos - 1]!.addr));
          expect(m![2], `${module} ${order}: value of the klpt_target_dup of ${dupFile}`).toBe(initialiser);
          const kindCopies = kallsymsOf(ks, 'klpt_target_kind', 'klpt_target');
          expect(
            kindCopies.map((k) => symbolType(k.type)),
            `${module} ${order}: klpt_target_kind in kallsyms, as in the map`,
          ).toEqual(kinds.map((d) => symbolType(d.kind)));
          expect(m![5], `${module} ${order}: klpt_target_kind,${kindPos} (${kindType})`).toBe(
            hex(kindCopies[kindPos - 1]!.addr),
          );
          // The function returns 3, the variable holds 4 (klpt_target_*.c).
          expect(m![4], `${module} ${order}: the ${kindType} klpt_target_kind`).toBe(kindType === 'func' ? '3' : '4');
        }
        // Loaded before its target, the livepatch was applied as the target loaded.
        const applying = (part: string[]) =>
          dmesg(part).filter((l) => l === `livepatch: applying patch '${module}' to loading module 'klpt_target'`)
            .length;
        const [first, second] = splitAt(lines!, 'KLPT-STEP target-first');
        expect(applying(first), `${module}: target first`).toBe(0);
        expect(applying(splitAt(second, 'KLPT-STEP patch-first')[0]), `${module}: patch first`).toBe(1);
      }
      // Between them, the two modules use both copies of each name, and the
      // two initialisers differ, so a wrong position cannot go unnoticed.
      expect(dupPositions).toEqual([1, 2]);
      expect([...kindPositions].sort()).toEqual([1, 2]);
      expect(dupInitialiser('klpt_target_main.c')).not.toBe(dupInitialiser('klpt_target_extra.c'));
    });

    it(`${L}: makes a vmlinux static key used with static_branch_unlikely() follow the key` +
      `${profile.jumpLabel ? ' (__jump_table)' : ' (no CONFIG_JUMP_LABEL: a plain read of the key)'}`, () => {
      const elf = converted('klpt_keys');
      const jt = elf.section('.klp.rela.vmlinux.__jump_table');
      if (profile.jumpLabel) {
        expect(jt, '.klp.rela.vmlinux.__jump_table').toBeDefined();
        expect(elf.relas(jt!).map((r) => r.symbol.name)).toContain('.klp.sym.vmlinux.tracepoint_printk_key,0');
      } else {
        // Without jump labels the module has no __jump_table at all.
        expect(elf.section('__jump_table'), `${state.env.kver} has no CONFIG_JUMP_LABEL`).toBeUndefined();
        expect(jt).toBeUndefined();
      }
      expect(klpSymbols(elf).map((k) => `${k.obj}.${k.name},${k.pos}`)).toEqual(['vmlinux.tracepoint_printk_key,0']);

      const s = scenario(boot2(), 'keys');
      expect(insmods(s.lines).find((l) => l.name === 'klpt_keys')?.rc).toBe(0);
      const k = kallsymsOf(kallsyms(s.lines), 'tracepoint_printk_key');
      expect(k).toHaveLength(1);
      expect(hex(addrs(s.lines, 'klpt_keys').get('tracepoint_printk_key'))).toBe(hex(k[0]!.addr));
      for (const v of ['0', '1']) {
        const shown = cat(s.lines, `param=${v}`);
        expect(shown, `param=${v}`).toHaveLength(2);
        for (const line of shown) expect(line).toBe(`KLPT-PATCHED klpt_keys branch=${v} enabled=${v}`);
      }
    });


    if (state.env.arch === 'ppc64le') {
      it(`${L}: calls to klp symbols go through the loader's stubs (R_PPC64_REL24 + nop), ` +
        `data through .toc entries (R_PPC64_ADDR64 in .klp.rela.vmlinux..toc), TOC16 relocations stay`, () => {
        const elf = converted('klpt_cmdline');
        const relasOf = (name: string) => {
          const sec = elf.section(name);
          expect(sec, name).toBeDefined();
          return elf.relas(sec!);
        };
        const calls = relasOf('.klp.rela.vmlinux..text');
        expect(calls.map((r) => `${r.type} ${r.symbol.name}`)).toContain(
          `${R_PPC64_REL24} .klp.sym.vmlinux.nr_processes,0`,
        );
        expect(
          calls.every((r) => r.type === R_PPC64_REL24),
          'only calls in .klp.rela.vmlinux..text',
        ).toBe(true);
        const toc = relasOf('.klp.rela.vmlinux..toc');
        expect(new Set(toc.map((r) => `${r.type} ${r.symbol.name}`))).toEqual(
          new Set([
            `${R_PPC64_ADDR64} .klp.sym.vmlinux.saved_command_line,0`,
            `${R_PPC64_ADDR64} .klp.sym.vmlinux.nr_processes,0`,
          ]),
        );
        // The code reaches its .toc entries with TOC16 relocations (types 47-50,
        // 63-64), which stay ordinary: they are the module's own.
        const tocRelative = relasOf('.rela.text').filter(
          (r) => (r.type >= 47 && r.type <= 50) || r.type === 63 || r.type === 64,
        );
        expect(tocRelative.length, 'TOC16 relocations in .rela.text').toBeGreaterThan(0);
        expect(tocRelative.filter((r) => r.symbol.name.startsWith('.klp.sym.'))).toEqual([]);
        // And the kernel resolved them (the cmdline scenario of this cell).
        const s = scenario(boot2(), 'cmdline');
        expect(insmods(s.lines).find((l) => l.name === 'klpt_cmdline')?.rc).toBe(0);
      });

      it(`${L}: a klp call without the nop after it is refused by ` +
        `klp-convert and by the kernel ("Expected nop after call")`, async () => {
        if (state.ppcCopiesError) throw new Error(state.ppcCopiesError);
        const copy = join(state.env.buildDir, 'extra', 'badnop', 'klpt_cmdline.ko');
        const check = await klpConvert(['check', copy]);
        expect(check.code, check.stderr).not.toBe(0);
        expect(check.stderr).toMatch(
          /call to '\.klp\.sym\.vmlinux\.nr_processes,0' \(R_PPC64_REL24\) is not followed by a nop/,
        );
        const s = scenario(boot2(), 'ppcnop');
        const load = insmods(s.lines).find((l) => l.path === '/modules/extra/badnop/klpt_cmdline.ko');
        expect(load, 'insmod of the copy').toBeDefined();
        expect(load!.rc, 'the kernel refuses the copy').not.toBe(0);
        const log = dmesg(s.lines);
        expect(
          log.some((l) => /Expected nop after call, got 60420000 at /.test(l)),
          log.join('\n'),
        ).toBe(true);
      });

      it(`${L}: a sibling call (b, no link) to a klp symbol is refused by klp-convert; ` +
        `the kernel loads a copy made around the refusal, and calling it takes the guest down`, async () => {
        if (state.ppcCopiesError) throw new Error(state.ppcCopiesError);
        const refused = state.siblingRefusal!;
        expect(refused.code, refused.stderr).toBe(1);
        expect(refused.stderr).toMatch(/sibling call to 'nr_processes' \(R_PPC64_REL24 on a 'b' without link\)/);
        const copy = join(state.env.buildDir, 'extra', 'sibling', 'klpt_sibling.ko');
        const check = await klpConvert(['check', copy]);
        expect(check.code, check.stderr).not.toBe(0);
        expect(check.stderr).toMatch(/sibling call to '\.klp\.sym\.vmlinux\.nr_processes,0'/);
        // The kernel accepts the module (it needs no nop after a b)...
        if (!state.boot3) throw new Error(`boot 3 did not run: ${state.boot3Error ?? 'no boot.json'}`);
        const b3 = state.boot3;
        const s = b3.scenarios.get('sibling');
        expect(s, 'the sibling scenario started').toBeDefined();
        expect(insmods(s!.lines).find((l) => l.name === 'klpt_sibling')?.rc, 'the kernel loads the copy').toBe(0);
        expect(s!.lines).toContain('KLPT-CALL asm');
        // ...and the call returns into livepatch code with vmlinux's r2: the
        // next stub call jumps astray and the guest dies.
        expect(
          s!.lines.filter((l) => l.startsWith('KLPT-CALL-RETURNED')),
          'the call never returns cleanly',
        ).toEqual([]);
        expect(b3.done, 'the guest did not finish its script').toBe(false);
        expect(b3.console, tail(b3.console, 30)).toMatch(/Unable to handle kernel|Oops|Kernel panic/);
      });
    }

    if (state.env.arch === 's390x') {
      it(`${L}: calls (R_390_PLT32DBL) and data through the GOT (R_390_GOTENT) ` +
        `against klp symbols resolve: the loader sizes its PLT and GOT from .klp.rela sections too`, () => {
        const elf = converted('klpt_cmdline');
        const sec = elf.section('.klp.rela.vmlinux..text');
        expect(sec, '.klp.rela.vmlinux..text').toBeDefined();
        const types = new Set(elf.relas(sec!).map((r) => `${r.type} ${r.symbol.name}`));
        expect(types).toContain('20 .klp.sym.vmlinux.nr_processes,0'); // R_390_PLT32DBL
        expect(types).toContain('26 .klp.sym.vmlinux.saved_command_line,0'); // R_390_GOTENT
        // A module's own PLT/GOT entries for another module's statics too.
        const byfile = converted('klpt_byfile_main');
        const modText = byfile.sections
          .filter((x) => x.name.startsWith('.klp.rela.klpt_target.'))
          .flatMap((x) => byfile.relas(x));
        expect(modText.map((r) => `${r.type} ${r.symbol.name}`)).toContain(
          '20 .klp.sym.klpt_target.klpt_target_kind,1',
        );
        // The kernel resolved every one of them to the kallsyms address (cmdline, byfile).
        const s = scenario(boot2(), 'cmdline');
        const seen = addrs(s.lines, 'klpt_cmdline');
        for (const name of ['nr_processes', 'saved_command_line']) {
          const k = kallsymsOf(kallsyms(s.lines), name);
          expect(k).toHaveLength(1);
          expect(hex(seen.get(name)), name).toBe(hex(k[0]!.addr));
        }
      });
    }


    if (state.env.arch === 'x86_64') {
      it(`${L}: \`klp-convert in.ko out.ko\` with no options converts an annotated livepatch ` +
        `with the installed headers' Module.symvers, as the same inputs given by hand`, async () => {
        if (state.convertError) throw new Error(`no converted modules: ${state.convertError}`);
        // Debian's headers package links /lib/modules/<release>/build to itself.
        const out = join(state.env.buildDir, 'klpt_sympos3.auto.ko');
        const r = await klpConvert([rawKo('klpt_sympos3'), out]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain(
          `is for kernel ${state.env.kver}: using /lib/modules/${state.env.kver}/build/Module.symvers`,
        );
        const byHand = join(state.env.buildDir, 'klpt_sympos3.by-hand.ko');
        const h = await klpConvert(['-e', join(state.env.kdir, 'Module.symvers'), rawKo('klpt_sympos3'), byHand]);
        expect(h.code, h.stderr).toBe(0);
        expect(readFileSync(out).equals(readFileSync(byHand)), 'same bytes as with -e <headers>/Module.symvers').toBe(
          true,
        );
        // And the klp symbols the make-converted module (which the kernel loaded) has.
        expect(klpSymbols(readElfFile(out))).toEqual(klpSymbols(converted('klpt_sympos3')));
      });
    }

    for (const variant of ['bundled', 'mismatched'] as const) {
      it(`${L}: the ${variant} sample ` +
        `(${variant === 'bundled' ? 'symbols-maps/sample' : `a copy claiming ${MISMATCHED_KVER}`}) ` +
        `is converted for this kernel, loads and resolves like kallsyms`, () => {
        const error = state.sampleErrors[variant];
        if (error) throw new Error(error);
        const plan = state.samples[variant];
        if (!plan) throw new Error(`the ${variant} sample was not prepared (an earlier step failed)`);
        // Made for this kernel: its own files; for another: remade for this one.
        expect(plan.source, `${variant} sample made for ${plan.madeFor}`).toBe(
          plan.madeFor === state.env.kver ? 'bundled' : 'rebuilt',
        );
        if (variant === 'mismatched') expect(plan.source).toBe('rebuilt');
        console.log(`e2e: ${variant} sample (made for ${plan.madeFor}) on ${state.env.kver}: ${plan.source}`);
        const b = boot2();
        const s = scenario(b, 'sample');
        const lines = chunks(s.lines, 'KLPT-VARIANT').get(variant);
        expect(lines, `sample variant ${variant} ran in the guest`).toBeDefined();
        expect(insmods(lines!).find((l) => l.name === SAMPLE_MODULE)?.rc).toBe(0);
        const ks = kallsyms(lines!);
        const seen = addrs(lines!, SAMPLE_MODULE);
        for (const label of ['saved_command_line', 'data:saved_command_line', 'nr_processes', 'data:nr_processes']) {
          const k = kallsymsOf(ks, label.replace(/^data:/, ''));
          expect(k).toHaveLength(1);
          expect(hex(seen.get(label)), label).toBe(hex(k[0]!.addr));
        }
        expect(cat(lines!, 'patched')[0]).toMatch(/^KLPT-PATCHED klpt_cmdline nr_processes=\d+ cmdline=\[/);
        expect(cat(lines!, 'removed')).toEqual([b.bootCmdline]);
      });
    }

    it(`${L}: fails \`make\` with klp-convert's message when a position is missing, ` +
      `leaving the module unconverted`, async () => {
      if (state.convertError) throw new Error(`no converted modules: ${state.convertError}`);
      const dir = join(state.env.buildDir, 'klp');
      const r = await run(join(E2E_DIR, 'build.sh'), ['klp', 'KLP_POSITIONS_klpt_sympos1='], {
        env: { ...CELL_ENV, KLP_SYMBOLS: state.klpSymbols! },
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /klp-convert: error: .*symbol 'ftrace_avail_fops' has \d+ definitions in vmlinux; its position is ambiguous/,
      );
      expect(r.stderr).toContain('klp-convert.mk: klp-convert failed for klpt_sympos1.ko (left unconverted)');
      expect(
        readFileSync(join(dir, 'klpt_sympos1.ko')).equals(readFileSync(join(dir, 'klpt_sympos1.ko.unconverted'))),
      ).toBe(true);
      // With the positions back, make converts it again.
      const again = await run(join(E2E_DIR, 'build.sh'), ['klp'], {
        env: { ...CELL_ENV, KLP_SYMBOLS: state.klpSymbols! },
      });
      expect(again.code, tail(again.stderr, 20)).toBe(0);
      expect(klpSymbols(readElfFile(klpKo('klpt_sympos1'))).length).toBe(3);
    });
  });
}

for (const cell of selectedCells()) cellSuite(cell);

/** The lines before and after the first line equal to marker. */
function splitAt(lines: string[], marker: string): [string[], string[]] {
  const i = lines.indexOf(marker);
  expect(i, `marker '${marker}'`).toBeGreaterThanOrEqual(0);
  return [lines.slice(0, i), lines.slice(i + 1)];
}

/** Every .klp.rela section: the kernel's rules plus the flags we promise. */
function checkKlpSections(elf: ElfContents): void {
  const symtab = elf.sections.findIndex((s) => s.name === '.symtab');
  const klp = elf.sections.filter((s) => s.name.startsWith('.klp.rela.'));
  expect(klp.length, `${elf.file}: klp relocation sections`).toBeGreaterThan(0);
  for (const sec of klp) {
    const where = `${elf.file}: ${sec.name}`;
    const m = sec.name.match(/^\.klp\.rela\.([^.]+)\.(.+)$/);
    expect(m, where).not.toBeNull();
    expect(sec.type, `${where}: sh_type`).toBe(SHT_RELA);
    expect(sec.flags.toString(16), `${where}: sh_flags`).toBe(KLP_FLAGS.toString(16));
    expect(sec.link, `${where}: sh_link`).toBe(symtab);
    expect(elf.sections[sec.info]?.name, `${where}: sh_info`).toBe(m![2]);
    for (const r of elf.relas(sec)) {
      expect(r.symbol.name.startsWith(`.klp.sym.${m![1]}.`), `${where}: relocation against '${r.symbol.name}'`).toBe(
        true,
      );
      expect(r.symbol.shndx).toBe(SHN_LIVEPATCH);
    }
  }
}

/** The exported-only livepatch worked in this boot (variant raw or klp). */
function checkExported(lines: string[], variant: string, b: BootResult, pvOps: boolean): void {
  const chunk = chunks(lines, 'KLPT-VARIANT').get(variant);
  expect(chunk, `variant ${variant} ran`).toBeDefined();
  expect(insmods(chunk!).find((l) => l.name === 'klpt_exported')?.rc).toBe(0);
  expect(cat(chunk!, 'before')).toEqual([b.bootCmdline]);
  expect(cat(chunk!, 'patched')).toEqual([
    `KLPT-PATCHED klpt_exported release=${b.release} irqs_off_inside=1 irqs_off_after=0`,
  ]);
  for (const name of pvOps ? ['init_uts_ns', 'pv_ops'] : ['init_uts_ns']) {
    const k = kallsymsOf(kallsyms(chunk!), name);
    expect(k, name).toHaveLength(1);
    expect(hex(addrs(chunk!, 'klpt_exported').get(name)), name).toBe(hex(k[0]!.addr));
  }
  expect(chunk).toContain('KLPT-LP-DISABLE klpt_exported gone');
  expect(cat(chunk!, 'disabled')).toEqual([b.bootCmdline]);
  expect(chunk).toContain('KLPT-RMMOD klpt_exported rc=0');
}
