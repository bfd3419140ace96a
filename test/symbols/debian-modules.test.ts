/**
 * The map generator on a real distribution kernel: Debian's
 * linux-image-6.1.0-*-cloud-amd64-unsigned package (downloaded with apt-get
 * into .cache/debs and extracted once; shared with the other suites).
 * Positions are spot-checked against readelf's symtab order and letters
 * against nm.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { addSymbolsCommand } from '../../src/cli/symbols-command.js';
import { loadSymbolIndex } from '../../src/symbols/index.js';
import { generateSymbolMap } from '../../src/symbols/generate/build-map.js';
import type { SymbolMapModel } from '../../src/symbols/generate/model.js';
import { findModuleFiles } from '../../src/symbols/generate/module-files.js';
import { writeCompactMap } from '../../src/symbols/generate/write-map.js';
import { ensureDebianKernel, sampleDebianModules } from '../support/debian-kernel.js';
import { tempDir } from './helpers.js';
import { kernelCounts, kernelView } from './kernel-oracle.js';

const dir = tempDir('klp-symbols-debian-');
let model: SymbolMapModel;
let mapFile: string;
let moduleCount: number;
let sample: string[];
let modulesRoot: string;

function modinfoName(file: string): string {
  const out = execFileSync('readelf', ['-p', '.modinfo', file], { encoding: 'utf8' });
  return /\]\s+name=(\S+)/.exec(out)![1]!;
}

beforeAll(async () => {
  const kernel = await ensureDebianKernel();
  modulesRoot = join(kernel.root, 'lib', 'modules', kernel.release);
  const modules = findModuleFiles(modulesRoot);
  moduleCount = modules.length;
  ({ model } = await generateSymbolMap({ modules, symvers: [], kallsymsAll: true }));
  mapFile = join(dir, 'debian.klps');
  writeFileSync(mapFile, writeCompactMap(model));
  sample = await sampleDebianModules(40);
}, 600_000);

describe('klp-convert symbols on the Debian cloud kernel package', () => {
  it('describes every module once, under its kernel name', () => {
    expect(moduleCount).toBeGreaterThan(500);
    expect(model.objects).toHaveLength(moduleCount);
    const names = new Set(model.objects.map((o) => o.name));
    expect(names.size).toBe(moduleCount);
    for (const n of names) expect(n).not.toMatch(/[-,]/);
    const dashed = sample
      .concat(findModuleFiles(join(sample[0]!, '..', '..', '..')))
      .find((f) => basename(f).includes('-'));
    expect(dashed, 'a module file with a dash in its name').toBeDefined();
    const kernelName = modinfoName(dashed!);
    expect(names.has(kernelName)).toBe(true);
    expect(kernelName).toBe(basename(dashed!, '.ko').replace(/-/g, '_'));
  });

  it('counts and ranks what the kernel counts, for every name of 40 sampled modules', async () => {
    let groups = 0;
    for (const file of sample) {
      const object = modinfoName(file).replace(/-/g, '_');
      const counts = kernelCounts(kernelView(file));
      const idx = await loadSymbolIndex({ maps: [mapFile], symvers: [] }, new Set(counts.keys()));
      for (const [name, c] of counts) {
        expect(idx.countIn(object, name), `${object}: ${name}`).toBe(c.core);
        expect(idx.countAtLoad(object, name), `${object}: ${name} while loading`).toBe(c.load);
        const ranks = idx
          .definitions(name)
          .filter((d) => d.object === object)
          .map((d) => d.rank);
        expect(ranks).toEqual(Array.from({ length: c.core }, (_, i) => i + 1));
        if (c.core > 1) groups++;
      }
    }
    // The sample must actually exercise positions (names defined more than once in a module).
    expect(groups).toBeGreaterThan(20);
  });

  it('uses the letters and symtab order of `nm -p --defined-only`', { timeout: 300_000 }, () => {
    for (const file of sample) {
      const name = modinfoName(file).replace(/-/g, '_');
      const object = model.objects.find((o) => o.name === name)!;
      const nm = execFileSync('nm', ['-p', '--defined-only', file], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(l.indexOf(' ') + 1));
      expect(object.symbols.map((s) => `${s.kind} ${s.name}`)).toEqual(nm);
    }
  });

  it('builds the same map through `klp-convert symbols --installed` ' +
    '(skipping the placeholder System.map)', async () => {
    const program = new Command('klp-convert');
    program.exitOverride();
    addSymbolsCommand(program);
    const out = join(dir, 'installed.klps');
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await program.parseAsync(['symbols', '--installed', modulesRoot, '-o', out], { from: 'user' });
    } finally {
      process.stderr.write = write;
    }
    expect(stderr.join('')).toMatch(/System\.map-\S+ is a placeholder/);
    const text = readFileSync(out, 'utf8');
    expect(text.replace(/^# .*\n/gm, '')).toBe(writeCompactMap(model).replace(/^# .*\n/gm, ''));
  });
});
