/**
 * The fixtures contain what the other tests rely on, checked with readelf
 * only (independently of src/elf): per-arch relocation types, special
 * sections, groups, SHF_LINK_ORDER, .modinfo, KLP annotations and the
 * SHN_XINDEX fixture. A toolchain that silently produced something else (a
 * different ABI, PIC code, no groups) fails here, with the arch in the name.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { ARCHES, type Arch, TOOLCHAINS, buildFixture } from '../support/fixtures.js';
import { type ReadelfView, readelfView } from '../support/readelf.js';

/** Relocation types each arch must show in the "livepatch" fixture (anchors §8b item 10). */
const EXPECTED_RELOC_TYPES: Record<Arch, string[]> = {
  x86_64: ['R_X86_64_PC32', 'R_X86_64_PLT32', 'R_X86_64_32S', 'R_X86_64_64', 'R_X86_64_PC64'],
  i386: ['R_386_32', 'R_386_PC32'],
  ppc64le: [
    'R_PPC64_REL24',
    'R_PPC64_ADDR64',
    'R_PPC64_REL64',
    'R_PPC64_TOC16_HA',
    'R_PPC64_TOC16_LO_DS',
    'R_PPC64_REL16_HA',
    'R_PPC64_REL16_LO',
  ],
  ppc64: ['R_PPC64_REL24', 'R_PPC64_ADDR64', 'R_PPC64_REL64', 'R_PPC64_TOC', 'R_PPC64_TOC16_HA'],
  s390x: ['R_390_PC32DBL', 'R_390_PLT32DBL', 'R_390_64', 'R_390_PC64'],
  aarch64: [
    'R_AARCH64_CALL26',
    'R_AARCH64_JUMP26',
    'R_AARCH64_ADR_PREL_PG_HI21',
    'R_AARCH64_ADD_ABS_LO12_NC',
    'R_AARCH64_ABS64',
    'R_AARCH64_PREL64',
  ],
  ppc32: ['R_PPC_REL24', 'R_PPC_ADDR32', 'R_PPC_ADDR16_HA', 'R_PPC_ADDR16_LO', 'R_PPC_REL32'],
};

const SHF_LINK_ORDER = 0x80n;
const SHF_GROUP = 0x200n;

async function view(name: string, arch: Arch): Promise<{ v: ReadelfView; bytes: Uint8Array }> {
  const path = await buildFixture(name, arch);
  const v = await readelfView(path);
  expect(v.diagnostics, `${arch}/${name}: readelf warnings`).toEqual([]);
  return { v, bytes: new Uint8Array(await readFile(path)) };
}

function section(v: ReadelfView, name: string) {
  const s = v.sections.find((x) => x.name === name);
  expect(s, `section '${name}'`).toBeDefined();
  return s!;
}

function relocSection(v: ReadelfView, arch: Arch, base: string) {
  const prefix = TOOLCHAINS[arch].relocSection === 'rela' ? '.rela' : '.rel';
  const r = v.relocations.find((x) => x.name === `${prefix}${base}`);
  expect(r, `relocation section '${prefix}${base}'`).toBeDefined();
  return r!;
}

function sectionBytes(bytes: Uint8Array, v: ReadelfView, name: string): Uint8Array {
  const s = section(v, name);
  return bytes.subarray(s.offset, s.offset + Number(s.size));
}

describe.each(ARCHES)('fixtures, %s', (arch) => {
  const tc = TOOLCHAINS[arch];

  test('livepatch: class, byte order, machine and relocation section kind', async () => {
    const { v } = await view('livepatch', arch);
    expect(v.header.elfClass).toBe(tc.elfClass);
    expect(v.header.littleEndian).toBe(tc.endian === 'le');
    expect(v.header.type.startsWith('REL ')).toBe(true);
    const kinds = new Set(
      v.sections.filter((s) => s.typeName === 'REL' || s.typeName === 'RELA').map((s) => s.typeName),
    );
    expect([...kinds]).toEqual([tc.relocSection.toUpperCase()]);
  });

  test('livepatch: per-arch relocation types', async () => {
    const { v } = await view('livepatch', arch);
    const types = new Set(v.relocations.flatMap((r) => r.entries.map((e) => e.typeName)));
    for (const t of EXPECTED_RELOC_TYPES[arch]) expect(types, `relocation type ${t}`).toContain(t);
  });

  test('livepatch: references from code, data and special sections', async () => {
    const { v } = await view('livepatch', arch);
    const refs = (base: string) => new Set(relocSection(v, arch, base).entries.map((e) => e.symName));
    // Data pointer tables in every storage class.
    expect(refs('.data')).toContain('saved_command_line');
    expect(refs('.data')).toContain('klpt_target_secret');
    expect(refs('.data.rel.ro')).toContain('kallsyms_lookup_name');
    expect(refs('.rodata')).toContain('total_forks');
    expect(refs('.data..read_mostly')).toContain('nr_processes');
    expect(refs('.data..ro_after_init')).toContain('saved_command_line');
    expect(refs('.init.text')).toContain('kallsyms_lookup_name');
    // Calls from .text (ppc64 BE/LE reach data through .toc instead of .text).
    expect(refs('.text')).toContain('nr_processes');
    expect(refs('.text')).toContain('klpt_target_exported');
    expect(refs('.text.unlikely')).toContain('_printk');
    // Special sections.
    const jt = refs('__jump_table');
    for (const k of ['tracepoint_printk_key', 'lp_module_key', 'klpt_target_key']) expect(jt).toContain(k);
    expect(refs('.altinstr_replacement')).toContain('kallsyms_lookup_name');
    expect(refs('.static_call_sites')).toContain('__SCK__tp_func_sched_switch');
    expect(refs('.parainstructions')).toContain('pv_ops');
    expect(refs('__ex_table')).toContain('klpt_target_fixup');
    expect(relocSection(v, arch, '__bug_table').entries.length).toBeGreaterThan(0);
    expect(relocSection(v, arch, '.altinstructions').entries.length).toBe(2);
    expect(refs('.gnu.linkonce.this_module')).toContain('init_module');
    // The exported ones stay plain references too.
    const all = new Set(v.relocations.flatMap((r) => r.entries.map((e) => e.symName)));
    for (const s of ['pv_ops', 'avenrun', 'klp_enable_patch']) expect(all).toContain(s);
  });

  test('livepatch: COMDAT and plain groups, SHF_LINK_ORDER sections', async () => {
    const { v } = await view('livepatch', arch);
    const rel = tc.relocSection === 'rela' ? '.rela' : '.rel';
    const comdat = v.groups.find((g) => g.signature === 'lp_comdat_sig');
    expect(comdat?.comdat).toBe(true);
    expect(comdat?.members.map((m) => m.name)).toEqual(['.data.lp_comdat', `${rel}.data.lp_comdat`]);
    const plain = v.groups.find((g) => g.signature === 'lp_group_sig');
    expect(plain?.comdat).toBe(false);
    expect(plain?.members.map((m) => m.name)).toEqual(['.data.lp_grp', `${rel}.data.lp_grp`]);
    for (const g of v.groups) for (const m of g.members) expect(v.sections[m.index]!.flags & SHF_GROUP).toBe(SHF_GROUP);

    const lo = section(v, '.lp_link_order');
    expect(lo.flags & SHF_LINK_ORDER).toBe(SHF_LINK_ORDER);
    expect(v.sections[lo.link]?.name).toBe('.text');
    const pe = section(v, '__lp_patchable_entries');
    expect(pe.flags & SHF_LINK_ORDER).toBe(SHF_LINK_ORDER);
    expect(v.sections[pe.link]?.name).toBe('.init.text');
  });

  test('modinfo: livepatch=Y only where expected', async () => {
    const lp = await view('livepatch', arch);
    const text = (x: { v: ReadelfView; bytes: Uint8Array }) =>
      Buffer.from(sectionBytes(x.bytes, x.v, '.modinfo')).toString('latin1').split('\0');
    expect(text(lp)).toContain('livepatch=Y');
    expect(text(lp)).toContain('name=klpt_livepatch');
    const plain = await view('no-livepatch-info', arch);
    expect(text(plain).some((s) => s.startsWith('livepatch='))).toBe(false);
    expect(text(plain)).toContain('name=klpt_no_livepatch_info');
  });

  test('annotated: 12-byte KLP_MODULE_RELOC entries, aligned 4, one relocation each', async () => {
    const { v, bytes } = await view('annotated', arch);
    const cases: [string, string[], number[]][] = [
      ['vmlinux', ['has_steal_clock', 'last_cmd', 'm_show', 'saved_command_line'], [2, 1, 2, 0]],
      ['klpt_target', ['klpt_dup', 'klp_string.12345'], [1, 0]],
    ];
    for (const [obj, syms, pos] of cases) {
      const s = section(v, `.klp.module_relocs.${obj}`);
      expect(Number(s.size)).toBe(12 * syms.length);
      expect(s.addralign).toBe(4n);
      const r = relocSection(v, arch, `.klp.module_relocs.${obj}`);
      expect(r.entries.map((e) => e.symName)).toEqual(syms);
      expect(r.entries.map((e) => Number(e.offset))).toEqual(syms.map((_, i) => 12 * i));
      const data = sectionBytes(bytes, v, `.klp.module_relocs.${obj}`);
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      expect(syms.map((_, i) => dv.getUint32(12 * i + 8, tc.endian === 'le'))).toEqual(pos);
    }
  });

  test('extern: asm-label .klp.sym.rela symbols are undefined references', async () => {
    const { v } = await view('extern', arch);
    const und = v.symbols.filter((s) => s.shndx === 0).map((s) => s.name);
    for (const n of [
      '.klp.sym.rela.vmlinux.vmlinux.saved_command_line,0',
      '.klp.sym.rela.vmlinux.vmlinux.has_steal_clock,2',
      '.klp.sym.rela.vmlinux.vmlinux.nr_processes,0',
      '.klp.sym.rela.klpt_target.klpt_target.klpt_target_secret,0',
      '.klp.sym.rela.vmlinux.vmlinux.x,0',
      '_printk',
    ]) {
      expect(und).toContain(n);
    }
  });

  test('target: homonyms for module-level positions and an export', async () => {
    const { v } = await view('target', arch);
    const names = v.symbols.map((s) => s.name);
    expect(names.filter((n) => n === 'klpt_dup')).toHaveLength(2);
    expect(names).toContain('klp_string.12345');
    expect(names).toContain('klp_string.67890');
    expect(names).toContain('__ksymtab_klpt_target_exported');
    expect(v.sections.map((s) => s.name)).toContain('___ksymtab+klpt_target_exported');
  });

  test('xindex: more than 0xff00 sections, symbols behind SHN_XINDEX', async () => {
    const { v, bytes } = await view('xindex', arch);
    expect(v.header.shnumRaw).toBe(0);
    expect(v.header.shnum).toBeGreaterThan(0xff00);
    expect(v.header.shstrndxRaw).toBe(0xffff);
    expect(v.header.shstrndx).toBeGreaterThan(0xff00);
    expect(v.sections.some((s) => s.typeName === 'SYMTAB SECTION INDICES')).toBe(true);
    for (const n of ['lp_far_sym', 'lp_far_local']) {
      const sym = v.symbols.find((s) => s.name === n);
      expect(sym?.shndx, n).toBeGreaterThan(0xff00);
      // Stored st_shndx is SHN_XINDEX.
      const symtab = section(v, '.symtab');
      const is64 = tc.elfClass === 64;
      const at = symtab.offset + sym!.index * (is64 ? 24 : 16) + (is64 ? 6 : 14);
      const raw = new DataView(bytes.buffer, bytes.byteOffset).getUint16(at, tc.endian === 'le');
      expect(raw, `${n} raw st_shndx`).toBe(0xffff);
    }
    expect(relocSection(v, arch, '.data').entries.map((e) => e.symName)).toEqual(
      ['lp_far_sym', 'lp_far_local', 'saved_command_line'].map((n, i) => (i === 1 ? expect.any(String) : n)),
    );
  });
});
