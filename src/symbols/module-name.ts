/**
 * Kernel module naming. Kbuild turns '-' and ',' in a module's file name
 * into '_' for the name the kernel knows it by (mod->name, /proc/modules,
 * the livepatch objname); every object name we emit or compare uses that form.
 */
export function kernelModuleName(name: string): string {
  // Most names have neither character: they need no RegExp (a new object at every call of a literal).
  return name.includes('-') || name.includes(',') ? name.replace(/[-,]/g, '_') : name;
}

/**
 * The kernel name of a module given a path (`drivers/gpu/drm/drm`,
 * `kernel/fs/ext4/ext4.ko.xz`, `snd-hda-codec.ko`) or 'vmlinux'.
 */
export function moduleNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const stem = base.replace(/\.(ko|o)(\.(xz|zst|gz))?$/, '');
  return stem === 'vmlinux' ? 'vmlinux' : kernelModuleName(stem);
}
