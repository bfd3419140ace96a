// Both kinds of annotation (KLP_SYMPOS sections, .klp.sym.rela. asm labels)
// enter the plan through one seam, ANNOTATION_FORMATS (src/convert/annotations.ts):
// a third format is one file implementing AnnotationFormat plus one line there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_FORMATS, annotationSections, readAnnotations } from '../../src/convert/annotations.js';
import { asmLabels } from '../../src/convert/annotation-labels.js';
import { klpSymposSections } from '../../src/convert/annotation-sympos.js';
import { Diagnostics } from '../../src/convert/diagnostics.js';
import { collectCandidates } from '../../src/convert/plan.js';
import { symbolsToLookUp } from '../../src/convert/convert.js';
import { parseElf } from '../../src/elf/index.js';
import { buildFixture } from '../support/fixtures.js';

async function annotationsOf(fixture: string) {
  const file = await buildFixture(fixture, 'x86_64');
  const elf = parseElf(readFileSync(file), file);
  const diags = new Diagnostics();
  const found = readAnnotations(elf, collectCandidates(elf, annotationSections(elf)), diags);
  return { elf, found, diags };
}

describe('annotation formats', () => {
  it('are the two formats, each one entry of ANNOTATION_FORMATS', () => {
    expect(ANNOTATION_FORMATS).toEqual([klpSymposSections, asmLabels]);
  });

  it('KLP_SYMPOS sections: annotations with where and source, their sections removed', async () => {
    const { elf, found, diags } = await annotationsOf('annotated');
    expect(diags.items).toEqual([]);
    expect(found.length).toBeGreaterThan(0);
    for (const a of found) {
      expect(a).toMatchObject({ kind: 'annotation', how: 'annotation' });
      if (a.kind !== 'annotation') continue;
      expect(a.name).toBe(a.symbol.name);
      expect(a.gate).toBe(a.object);
      expect(a.source).toBe(`annotation ${a.where}`);
    }
    const removed = [...annotationSections(elf)].map((s) => s.name);
    expect(removed.some((n) => n.startsWith('.klp.module_relocs.'))).toBe(true);
  });

  it('asm labels: the symbol name unwrapped, for the plan and for the map lookup alike', async () => {
    const { elf, found } = await annotationsOf('extern');
    const labels = found.filter((a) => a.kind === 'annotation' && a.how === 'asm-label');
    expect(labels.length).toBeGreaterThan(0);
    expect(annotationSections(elf).size).toBe(0);
    const wanted = symbolsToLookUp(elf);
    for (const a of labels) {
      if (a.kind !== 'annotation') continue;
      expect(a.symbol.name.startsWith('.klp.sym.rela.')).toBe(true);
      expect(a.symbol.name).toContain(`.${a.name},${a.position}`);
      expect(wanted.has(a.name)).toBe(true);
      expect(wanted.has(a.symbol.name)).toBe(false);
    }
  });
});
