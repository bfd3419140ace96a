// convertFile (src/convert/run.ts), the library function the CLI calls: used
// here directly, its diagnostics carry their location as fields, and every
// error it throws carries the exit status the CLI ends with.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConversionFailed, type Diagnostic, diagnosticJson, locationText } from '../../src/convert/diagnostics.js';
import { convertFile, OutputWriteError } from '../../src/convert/run.js';
import { ElfFormatError, ElfModelError } from '../../src/elf/index.js';
import { SymbolMapError, SymbolSourceError } from '../../src/symbols/errors.js';
import { KlpError, UsageProblem, exitCodeOf } from '../../src/util/errors.js';
import { EXIT } from '../../src/util/exit-codes.js';
import { InputFileError } from '../../src/util/read-file.js';
import * as api from '../../src/index.js';

const SAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'symbols-maps', 'sample');
const MODULE = join(SAMPLE, 'klpt_cmdline.ko');
const SYMVERS = join(SAMPLE, 'Module.symvers.gz');
let kallsyms: string;
let dir: string;

beforeAll(() => {
  kallsyms = join(SAMPLE, readdirSync(SAMPLE).find((f) => f.startsWith('kallsyms-'))!);
  dir = mkdtempSync(join(tmpdir(), 'klp-run-'));
});

async function failure(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (e) {
    return e;
  }
  throw new Error('expected the run to fail');
}

describe('convertFile, the library function behind the CLI', () => {
  it('is what the package exports', () => {
    expect(api.convertFile).toBe(convertFile);
  });

  it('converts and writes the module, with the same bytes on a dry run', async () => {
    const output = join(dir, 'converted.ko');
    const written = await convertFile({ input: MODULE, output, symbols: [kallsyms], symvers: [SYMVERS] });
    expect(written.written).toBe(true);
    expect(written.plan.converted.map((c) => c.name).sort()).toEqual(['nr_processes', 'saved_command_line']);
    expect(new Uint8Array(readFileSync(output))).toEqual(written.output);
    const dry = await convertFile({ input: MODULE, output: join(dir, 'never.ko'), symbols: [kallsyms], dryRun: true });
    expect(dry.written).toBe(false);
    expect(dry.output).toEqual(written.output);
    expect(() => readFileSync(join(dir, 'never.ko'))).toThrow();
  });

  it('fails with every error as a diagnostic whose location is in fields, and exit status 1', async () => {
    const e = await failure(convertFile({ input: MODULE, output: join(dir, 'no.ko'), symvers: [SYMVERS] }));
    expect(e).toBeInstanceOf(ConversionFailed);
    const failed = e as ConversionFailed;
    expect(failed.exitCode).toBe(EXIT.CONVERSION_FAILED);
    const unknown = failed.diagnostics.filter((d) => d.code === 'KLP030');
    expect(unknown.map((d) => d.symbol).sort()).toEqual(['nr_processes', 'saved_command_line']);
    for (const d of unknown) {
      expect(d).toMatchObject({ severity: 'error', file: MODULE, section: '.rela.text', unknownSymbol: d.symbol });
      expect(typeof d.relocationOffset).toBe('bigint');
      expect(d.fileOffset).toBeUndefined();
      // The text is rendered from the fields.
      const offset = `0x${d.relocationOffset!.toString(16)}`;
      expect(d.message.startsWith(`${MODULE}: section '.rela.text' offset ${offset}: `)).toBe(true);
      expect(d.message.startsWith(`${locationText(d)}: `)).toBe(true);
      expect(diagnosticJson(d)).toMatchObject({ relocationOffset: offset, symbol: d.symbol });
    }
  });

  it('says where it looked for maps on its own, through onNote', async () => {
    const notes: string[] = [];
    process.env.KLP_CONVERT_SYSROOT = dir;
    try {
      const onNote = (t: string): number => notes.push(t);
      const r = await convertFile({ input: MODULE, output: join(dir, 'auto.ko'), auto: true, dryRun: true, onNote });
      expect(r.diagnostics.map((d) => d.code)).toContain('KLP034');
    } finally {
      delete process.env.KLP_CONVERT_SYSROOT;
    }
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/ is for kernel .*: found no Module\.symvers or symbol map/);
  });
});

describe('each error carries its exit status', () => {
  it('input problems: 3', async () => {
    const missing = await failure(convertFile({ input: join(dir, 'missing.ko'), output: join(dir, 'o.ko') }));
    expect(missing).toBeInstanceOf(InputFileError);
    const garbage = join(dir, 'garbage.ko');
    writeFileSync(garbage, 'not an ELF file at all, just words');
    const bad = await failure(convertFile({ input: garbage, output: join(dir, 'o.ko') }));
    expect(bad).toBeInstanceOf(ElfFormatError);
    const badMap = join(dir, 'bad.map');
    writeFileSync(badMap, 'klp-convert-symbol-data.0.1\nsaved_command_line\n');
    const map = await failure(convertFile({ input: MODULE, output: join(dir, 'o.ko'), symbols: [badMap] }));
    expect(map).toBeInstanceOf(SymbolMapError);
    expect((map as SymbolMapError).location).toEqual({ file: badMap, line: 2 });
    const nowhere = join(dir, 'nodir', 'o.ko');
    const unwritable = await failure(convertFile({ input: MODULE, output: nowhere, symbols: [kallsyms] }));
    expect(unwritable).toBeInstanceOf(InputFileError);
    for (const e of [missing, bad, map, unwritable]) {
      expect(exitCodeOf(e, EXIT.INTERNAL), String(e)).toBe(EXIT.BAD_INPUT);
    }
    expect((bad as ElfFormatError).location.file).toBe(garbage);
  });

  it('options that cannot work: 2', async () => {
    const e = await failure(convertFile({ input: MODULE, output: join(dir, 'o.ko'), kdir: dir }));
    expect(e).toBeInstanceOf(UsageProblem);
    expect((e as UsageProblem).exitCode).toBe(EXIT.USAGE);
  });

  it('every class, as constructed', () => {
    const internal: Diagnostic = { severity: 'error', code: 'KLP099', message: 'internal error', internal: true };
    const plain: Diagnostic = { severity: 'error', code: 'KLP030', message: 'x' };
    const cases: [KlpError, number][] = [
      [new ElfFormatError('a.ko', 'bad', { section: '.text', offset: 0x40 }), EXIT.BAD_INPUT],
      [new ElfModelError('dangling'), EXIT.BAD_INPUT],
      [new SymbolMapError('m', 3, 'bad line'), EXIT.BAD_INPUT],
      [new SymbolSourceError('no vmlinux'), EXIT.BAD_INPUT],
      [new InputFileError('f', 'no such file'), EXIT.BAD_INPUT],
      [new UsageProblem('--kdir x: nothing there'), EXIT.USAGE],
      [new ConversionFailed([plain]), EXIT.CONVERSION_FAILED],
      [new ConversionFailed([plain, internal]), EXIT.INTERNAL],
    ];
    for (const [e, code] of cases) {
      expect(e).toBeInstanceOf(KlpError);
      expect(e.exitCode, e.name).toBe(code);
    }
    const elf = cases[0]![0] as ElfFormatError;
    expect(elf.location).toEqual({ file: 'a.ko', section: '.text', fileOffset: 0x40 });
    expect(elf.message).toBe("a.ko: section '.text': offset 0x40: bad");
    expect(exitCodeOf(new Error('a bug'), EXIT.INTERNAL)).toBe(EXIT.INTERNAL);
  });

  it('an output that cannot be written: 3, with the conversion that was not written', async () => {
    const r = await convertFile({ input: MODULE, output: join(dir, 'x.ko'), symbols: [kallsyms], dryRun: true });
    const cause = Object.assign(new Error('EROFS'), { code: 'EROFS', path: 'x' });
    const e = new OutputWriteError(join(dir, 'x.ko'), cause, r);
    expect(e.exitCode).toBe(EXIT.BAD_INPUT);
    expect(e.message).toBe(`cannot write ${join(dir, 'x.ko')}: x: EROFS`);
    expect(e.result).toBe(r);
  });
});

describe('location text', () => {
  it('renders each kind of place as the messages always had it', () => {
    const relocation = { file: 'f.ko', section: '.rela.text', relocationOffset: 0x19n, symbol: 's' };
    expect(locationText(relocation)).toBe("f.ko: section '.rela.text' offset 0x19");
    const fileOffset = { file: 'f.ko', section: '.text', fileOffset: 0x40 };
    expect(locationText(fileOffset)).toBe("f.ko: section '.text': offset 0x40");
    expect(locationText({ file: 'pos.yaml', line: 7, symbol: 's' })).toBe('pos.yaml:7');
    expect(locationText({ file: 'f.ko', symbol: 's' })).toBe('f.ko');
    expect(locationText({})).toBe('');
  });
});
