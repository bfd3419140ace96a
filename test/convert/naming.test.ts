import { describe, expect, it } from 'vitest';
import {
  kernelModuleName,
  klpRelaObject,
  klpRelaSectionName,
  klpSymbolName,
  objectNameProblem,
  parseKlpSymRelaName,
  parseKlpSymbolName,
  symbolNameProblem,
} from '../../src/convert/naming.js';

describe('klp names, as the kernel parses them', () => {
  it('formats and parses symbol names, keeping dots in the symbol part', () => {
    expect(klpSymbolName('vmlinux', 'klp_string.12345', 2)).toBe('.klp.sym.vmlinux.klp_string.12345,2');
    expect(parseKlpSymbolName('.klp.sym.vmlinux.klp_string.12345,2')).toEqual({
      object: 'vmlinux',
      name: 'klp_string.12345',
      position: 2,
    });
    expect(parseKlpSymbolName('.klp.sym.ext4.f.isra.0,0')).toEqual({ object: 'ext4', name: 'f.isra.0', position: 0 });
    expect(parseKlpSymbolName('.klp.sym.vmlinux.m_show;2')).toBeUndefined();
    expect(parseKlpSymbolName('.klp.sym.vmlinux.m_show,')).toBeUndefined();
    expect(parseKlpSymbolName('.klp.sym.vmlinux.,1')).toBeUndefined();
    expect(parseKlpSymbolName('m_show')).toBeUndefined();
  });

  it('formats relocation section names with the target name appended (hence the double dot)', () => {
    expect(klpRelaSectionName('vmlinux', '.text')).toBe('.klp.rela.vmlinux..text');
    expect(klpRelaSectionName('vmlinux', '__jump_table')).toBe('.klp.rela.vmlinux.__jump_table');
    expect(klpRelaObject('.klp.rela.ext4..text.unlikely')).toBe('ext4');
    expect(klpRelaObject('.rela.text')).toBeUndefined();
  });

  it('parses the asm-label annotation form', () => {
    expect(parseKlpSymRelaName('.klp.sym.rela.klpt_target.vmlinux.saved_command_line,0')).toEqual({
      patchedObject: 'klpt_target', object: 'vmlinux', name: 'saved_command_line', position: 0,
    });
    expect(parseKlpSymRelaName('.klp.sym.rela.vmlinux.saved_command_line,0')).toBeUndefined();
  });

  it('enforces the kernel limits: 55-byte object names without dots, 511-byte symbol names without commas', () => {
    expect(objectNameProblem('a'.repeat(55))).toBeUndefined();
    expect(objectNameProblem('a'.repeat(56))).toMatch(/56 bytes; the kernel reads at most 55/);
    expect(objectNameProblem('snd.hda')).toMatch(/contains '\.'/);
    expect(symbolNameProblem('s'.repeat(511))).toBeUndefined();
    expect(symbolNameProblem('s'.repeat(512))).toMatch(/512 bytes; the kernel reads at most 511/);
    expect(symbolNameProblem('a,b')).toMatch(/contains ','/);
    expect(parseKlpSymbolName(`.klp.sym.${'a'.repeat(56)}.x,0`)).toBeUndefined();
  });

  it("uses the kernel's module names: '-' and ',' become '_'", () => {
    expect(kernelModuleName('snd-hda-codec')).toBe('snd_hda_codec');
    expect(kernelModuleName('a,b-c')).toBe('a_b_c');
  });
});
