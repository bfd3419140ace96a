// Every golden case in test/golden/behaviours, one test each: build the
// module, run the CLI, compare the readelf text, stderr and exit code with
// the expected files (test/support/behaviour-golden.ts says what they are).
import { describe, expect, it } from 'vitest';
import {
  type BehaviourOutcome,
  behaviourNames,
  differences,
  isExpectedFailure,
  readExpected,
  runBehaviour,
  strayFiles,
  writeExpected,
} from '../support/behaviour-golden.js';

const UPDATE = process.env.KLPT_UPDATE_GOLDEN === '1';
const names = behaviourNames();

describe('behaviour goldens', () => {
  it('there are cases, and each is named for its outcome: fails-* exits non-zero and writes no module', () => {
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const expected = readExpected(name);
      expect(strayFiles(name), `${name}: files the runner would not read`).toEqual([]);
      const failure = isExpectedFailure(name);
      expect(expected.exit !== 0, `${name}: expected.exit says a failure iff the name starts with fails-`).toBe(
        failure,
      );
      expect(expected.readelf === undefined, `${name}: expected.readelf only for a success`).toBe(failure);
      expect(expected.stderr, `${name}: expected.stderr`).not.toBe('');
    }
  });

  for (const name of names) {
    it(`${isExpectedFailure(name) ? 'expected failure' : 'converts'}: ${name}`, async () => {
      const actual = await runBehaviour(name);
      if (UPDATE) writeExpected(name, actual);
      expect(differences(readExpected(name), actual)).toEqual([]);
    });
  }
});

describe('behaviour goldens catch a wrong expected file', () => {
  // Each part of a case's expectation, altered alone, must be reported.
  type Alteration = [string, (e: BehaviourOutcome) => BehaviourOutcome];
  const exitCode: Alteration = ['exit code', (e) => ({ ...e, exit: e.exit === 0 ? 1 : 0 })];
  const stderrChar: Alteration = ['one stderr character', (e) => ({ ...e, stderr: e.stderr.replace(/[a-w]/, 'x') })];
  const alterations: Record<'success' | 'expected failure', Alteration[]> = {
    success: [
      exitCode,
      stderrChar,
      ['a missing module', (e) => ({ ...e, readelf: undefined })],
      ['one readelf line', (e) => ({ ...e, readelf: e.readelf!.replace('\n', ' \n') })],
    ],
    'expected failure': [exitCode, stderrChar, ['an unexpected module', (e) => ({ ...e, readelf: 'readelf text' })]],
  };
  for (const kind of ['success', 'expected failure'] as const) {
    it(`on ${kind === 'success' ? 'a success' : 'an expected failure'}`, async () => {
      const name = names.find((n) => isExpectedFailure(n) === (kind === 'expected failure'));
      expect(name, `a ${kind} case exists`).toBeDefined();
      const actual = await runBehaviour(name!);
      const expected = readExpected(name!);
      expect(differences(expected, actual)).toEqual([]);
      for (const [what, alter] of alterations[kind]) {
        const wrong = alter(expected);
        expect(wrong, `altering ${what} changes the expectation`).not.toEqual(expected);
        expect(differences(wrong, actual), `altered ${what}`).not.toEqual([]);
      }
    });
  }
});
