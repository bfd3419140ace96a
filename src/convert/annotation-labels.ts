/**
 * Lukas Hruska's asm-label annotations: the livepatch's source declares the
 * symbol under the name `.klp.sym.rela.<patched object>.<symbol object>.<symbol>,<position>`,
 * so the undefined symbol's own name says its object and position.
 */
import type { Annotation, AnnotationFormat, AnnotationProblem } from './annotations.js';
import { KLP_SYM_RELA_PREFIX, parseKlpSymRelaName } from './naming.js';
import type { ElfSymbol } from '../elf/index.js';

const FORM = '.klp.sym.rela.<patched object>.<symbol object>.<symbol>,<position>';

function label(symbol: ElfSymbol): Annotation | AnnotationProblem {
  const parsed = parseKlpSymRelaName(symbol.name);
  const description = `symbol '${symbol.name}' is not of the form ${FORM}`;
  if (!parsed) return { kind: 'problem', symbol, code: 'KLP017', description };
  const { name, object, position, patchedObject: gate } = parsed;
  const where = `'${symbol.name}'`;
  const source = `asm label ${where}`;
  return { kind: 'annotation', symbol, name, object, position, gate, how: 'asm-label', where, source };
}

/** The labels are symbols, not sections: nothing to remove. */
export const asmLabels: AnnotationFormat = {
  dataSections: () => [],
  read: (_elf, candidates) => {
    // An index loop, not a flatMap (most candidates are no label, and each would cost an empty array) nor
    // for-of (a result object a step, in code not yet optimised; asked of thousands of candidates, twice).
    const found: (Annotation | AnnotationProblem)[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const symbol = candidates[i]!.symbol;
      if (symbol.name.startsWith(KLP_SYM_RELA_PREFIX)) found.push(label(symbol));
    }
    return found;
  },
};
