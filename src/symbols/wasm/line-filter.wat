;; The map scanner's line loop in WebAssembly (see src/symbols/line-filter.ts).
;;
;; scan() finds the lines of window[from, end) sixteen bytes at a time and
;; records, for JavaScript, only the lines its reader must see:
;;   - lines whose name passes NameMatcher's two filter tables: the pre-filter
;;     on length, second byte and last three bytes, then one on a hash of the
;;     whole name (the second costs a pass over the name, for the few lines
;;     the first lets through);
;;   - lines that change the reader's state (an upstream or compact `*object`
;;     line, a compact `@<id> <file>` line, a kallsyms line starting a run of
;;     one module, the first vmlinux line);
;;   - lines that fail a cheap shape check, and names shorter than three
;;     bytes, so that the reader parses them and reports what is wrong.
;; Reporting a line the reader does not need costs a call and changes
;; nothing; missing one would lose a hit, so every doubt reports the line.
;;
;; Lines follow line-scan.ts: numbered from 1 over the whole input, a '\r'
;; before the '\n' is not part of the line, empty lines are counted and not
;; reported; with `last` set, an unterminated rest is a line too.
;;
;; The common path of a line is written out inside scan(): a call costs V8's
;; code about as much as the checks of a line (measured: three calls per line
;; doubled the scan's instructions). Rare paths are functions.
;;
;; Memory layout (byte addresses; line-filter.ts holds the same numbers):
;;   0       NameMatcher.filter: 65536 bytes by filterKey, 65536 by nameHashKey (non-zero: maybe wanted)
;;   131072  the module name of the last kallsyms module run, up to 256 bytes
;;   132096  the records, 4096 x (start, stop, line) as i32: one per reported line
;;   196608  the window, to the end of memory less 16 bytes (a block load may pass `end`)
;;
;; Six pages (64 KiB each) at the start: the layout with the usual 128 KiB window and its 16 bytes
;; of slack. Growing a memory detaches its ArrayBuffer, and the first detach anywhere makes V8 drop
;; the optimised code of every function that reads a typed array (the ELF reader and the name
;; matcher among them) and compile it again; starting large enough, taking the window grows nothing.
(module
  (memory (export "memory") 6)

  (global $format (mut i32) (i32.const 0))
  ;; The number of the last line seen; JavaScript sets it before a scan and reads it after.
  (global $line (export "line") (mut i32) (i32.const 0))
  ;; Where the last scan stopped: the start of the first line not handled.
  (global $resume (export "resume") (mut i32) (i32.const 0))
  ;; Reader state, as far as it decides what JavaScript must see.
  (global $object_seen (mut i32) (i32.const 0))
  (global $files (mut i32) (i32.const 0))
  (global $vmlinux_seen (mut i32) (i32.const 0))
  ;; Length of the remembered module name; -1 when none is remembered.
  (global $module_length (mut i32) (i32.const -1))

  ;; The formats (line-filter.ts passes these numbers):
  ;; 1 upstream map, 2 compact map, 3 /proc/kallsyms or System.map, 4 Module.symvers.
  (func (export "begin") (param $format i32) (param $line i32)
    (global.set $format (local.get $format))
    (global.set $line (local.get $line))
    (global.set $object_seen (i32.const 0))
    (global.set $files (i32.const 0))
    (global.set $vmlinux_seen (i32.const 0))
    (global.set $module_length (i32.const -1)))

  ;; Record line `line`, bytes [start, stop), as record number `count`.
  (func $report (param $count i32) (param $start i32) (param $stop i32) (param $line i32)
    (local $at i32)
    (local.set $at (i32.add (i32.const 132096) (i32.mul (local.get $count) (i32.const 12))))
    (i32.store (local.get $at) (local.get $start))
    (i32.store offset=4 (local.get $at) (local.get $stop))
    (i32.store offset=8 (local.get $at) (local.get $line)))

  ;; The prefix of a compact symbol line that is not `<letter> `: [+][-][<file id>] and a space, from p
  ;; (the byte after the letter). Returns where the name starts, or 0 when the reader must see the line.
  (func $compact_prefix (param $p i32) (param $stop i32) (param $files i32) (result i32)
    (local $id i32) (local $digits_end i32)
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x2b))
      (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.and (i32.lt_u (local.get $p) (local.get $stop))
                 (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x2d)))
      (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    ;; At most eight digits, so that the id cannot overflow; longer ones go to the reader.
    (local.set $digits_end (i32.add (local.get $p) (i32.const 8)))
    (block $digits_done
      (loop $digits
        (br_if $digits_done (i32.ge_u (local.get $p) (local.get $stop)))
        (br_if $digits_done
          (i32.ge_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)) (i32.const 10)))
        (if (i32.eq (local.get $p) (local.get $digits_end)) (then (return (i32.const 0))))
        (local.set $id (i32.add (i32.mul (local.get $id) (i32.const 10))
                                (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digits)))
    (if (i32.ge_u (local.get $p) (local.get $stop)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x20)) (then (return (i32.const 0))))
    (if (i32.gt_u (local.get $id) (local.get $files)) (then (return (i32.const 0))))
    (i32.add (local.get $p) (i32.const 1)))

  ;; The module column of a kallsyms line that ends in ']': `<name>\t[<module>]`, the name from `name`.
  ;; Returns where the name ends, or 0 when the reader must see the line (a bad column, or a new run
  ;; of lines of one module, whose name is then remembered).
  (func $kallsyms_module (param $name i32) (param $stop i32) (result i32)
    (local $open i32) (local $length i32) (local $i i32)
    ;; Find the '[' as the reader does, from the end.
    (local.set $open (i32.sub (local.get $stop) (i32.const 2)))
    (block $found
      (loop $back
        (br_if $found (i32.le_s (local.get $open) (local.get $name)))
        (br_if $found (i32.eq (i32.load8_u (local.get $open)) (i32.const 0x5b)))
        (local.set $open (i32.sub (local.get $open) (i32.const 1)))
        (br $back)))
    (if (i32.ne (i32.load8_u (local.get $open)) (i32.const 0x5b)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (i32.sub (local.get $open) (i32.const 1))) (i32.const 0x09))
      (then (return (i32.const 0))))
    (if (i32.le_s (i32.sub (local.get $open) (i32.const 1)) (local.get $name)) (then (return (i32.const 0))))
    ;; The module is [open + 1, stop - 1).
    (local.set $length (i32.sub (i32.sub (local.get $stop) (local.get $open)) (i32.const 2)))
    (block $new_run
      (br_if $new_run (i32.ne (local.get $length) (global.get $module_length)))
      (br_if $new_run (i32.eqz (local.get $length)))
      (loop $compare
        (br_if $new_run (i32.ne
          (i32.load8_u offset=1 (i32.add (local.get $open) (local.get $i)))
          (i32.load8_u offset=131072 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $compare (i32.lt_u (local.get $i) (local.get $length))))
      (return (i32.sub (local.get $open) (i32.const 1))))
    ;; Remember the new module (one longer than the room for it is never "the same").
    (if (i32.gt_u (local.get $length) (i32.const 256))
      (then (global.set $module_length (i32.const -1)))
      (else
        (memory.copy (i32.const 131072) (i32.add (local.get $open) (i32.const 1)) (local.get $length))
        (global.set $module_length (local.get $length))))
    (i32.const 0))

  ;; The second filter table's entry for the name [start, stop): NameMatcher's nameHashKey (FNV-1a).
  (func $hash_passes (param $start i32) (param $stop i32) (result i32)
    (local $hash i32)
    (local.set $hash (i32.const 0x811c9dc5))
    (loop $bytes
      (local.set $hash (i32.mul (i32.xor (local.get $hash) (i32.load8_u (local.get $start)))
                                (i32.const 0x01000193)))
      (local.set $start (i32.add (local.get $start) (i32.const 1)))
      (br_if $bytes (i32.lt_u (local.get $start) (local.get $stop))))
    (i32.load8_u offset=65536 (i32.and (local.get $hash) (i32.const 0xffff))))

  ;; Scan window bytes [from, end) (addresses) and return how many lines were reported. The scan
  ;; stops early when the 4096 records are full; $resume says where to go on either way.
  (func (export "scan") (param $from i32) (param $end i32) (param $last i32) (result i32)
    (local $start i32) (local $p i32) (local $bits i32) (local $nl i32) (local $stop i32)
    (local $limit i32) (local $count i32) (local $line i32) (local $format i32)
    (local $object_seen i32) (local $files i32) (local $vmlinux_seen i32)
    (local $c i32) (local $name i32) (local $name_end i32) (local $length i32) (local $v v128)
    (local $q i32) (local $tabs i32) (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local.set $line (global.get $line))
    (local.set $format (global.get $format))
    (local.set $object_seen (global.get $object_seen))
    (local.set $files (global.get $files))
    (local.set $vmlinux_seen (global.get $vmlinux_seen))
    (local.set $start (local.get $from))
    (local.set $p (local.get $from))
    (local.set $limit (local.get $end))
    ;; An unterminated last line gets a '\n' in the slack after `end`: one path for every line.
    (if (i32.and (local.get $last) (i32.gt_u (local.get $end) (local.get $from))) (then
      (if (i32.ne (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 10)) (then
        (i32.store8 (local.get $end) (i32.const 10))
        (local.set $limit (i32.add (local.get $end) (i32.const 1)))))))
    (block $full
      (loop $blocks
        (br_if $full (i32.ge_u (local.get $p) (local.get $limit)))
        ;; One bit per '\n' among the sixteen bytes at p; those at or past the limit do not count.
        (local.set $bits
          (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (i8x16.splat (i32.const 10)))))
        (if (i32.lt_u (i32.sub (local.get $limit) (local.get $p)) (i32.const 16))
          (then (local.set $bits (i32.and (local.get $bits)
            (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $limit) (local.get $p))) (i32.const 1))))))
        (block $block_done
          (loop $newlines
            (br_if $block_done (i32.eqz (local.get $bits)))
            (local.set $nl (i32.add (local.get $p) (i32.ctz (local.get $bits))))
            (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
            ;; The line [start, nl), its content [start, stop).
            (local.set $line (i32.add (local.get $line) (i32.const 1)))
            (local.set $stop (local.get $nl))
            (if (i32.gt_u (local.get $nl) (local.get $start)) (then
              (if (i32.eq (i32.load8_u (i32.sub (local.get $nl) (i32.const 1))) (i32.const 13))
                (then (local.set $stop (i32.sub (local.get $nl) (i32.const 1)))))))
            (block $line_done
              (br_if $line_done (i32.eq (local.get $stop) (local.get $start)))
              (local.set $c (i32.load8_u (local.get $start)))
              (block $report
                ;; Each format finds the name [name, name_end) and goes on to the filter, or decides.
                (block $filter
                  (block $symvers
                    (block $kallsyms
                      (block $compact
                        (block $upstream
                          (br_table $report $upstream $compact $kallsyms $symvers (local.get $format)))
                        ;; upstream: `*<object>` or a bare name.
                        (if (i32.eq (local.get $c) (i32.const 0x2a)) (then
                          (local.set $object_seen (i32.const 1))
                          (br $report)))
                        (br_if $report (i32.eqz (local.get $object_seen)))
                        (local.set $name (local.get $start))
                        (local.set $name_end (local.get $stop))
                        (br $filter))
                      ;; compact: `*<object>[ load]`, `@<id> <file>`, `# comment`,
                      ;; `<letter>[+][-][<file id>] <name>`.
                      (if (i32.eq (local.get $c) (i32.const 0x2a)) (then
                        (local.set $object_seen (i32.const 1))
                        (local.set $files (i32.const 0))
                        (br $report)))
                      ;; The reader checks that file ids count up, or stops the scan.
                      (if (i32.eq (local.get $c) (i32.const 0x40)) (then
                        (local.set $files (i32.add (local.get $files) (i32.const 1)))
                        (br $report)))
                      (br_if $line_done (i32.eq (local.get $c) (i32.const 0x23)))
                      (br_if $report (i32.eqz (local.get $object_seen)))
                      ;; A symbol line starts with an nm letter or '?'.
                      (br_if $report (i32.and
                        (i32.ge_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 26))
                        (i32.ne (local.get $c) (i32.const 0x3f))))
                      (br_if $report (i32.lt_u (i32.sub (local.get $stop) (local.get $start)) (i32.const 3)))
                      (local.set $name (i32.add (local.get $start) (i32.const 2)))
                      (if (i32.ne (i32.load8_u offset=1 (local.get $start)) (i32.const 0x20)) (then
                        (local.set $name (call $compact_prefix
                          (i32.add (local.get $start) (i32.const 1)) (local.get $stop) (local.get $files)))
                        (br_if $report (i32.eqz (local.get $name)))))
                      ;; The name must not be empty.
                      (br_if $report (i32.ge_u (local.get $name) (local.get $stop)))
                      (local.set $name_end (local.get $stop))
                      (br $filter))
                    ;; kallsyms or System.map: `<hex> <letter> <name>[\t[<module>]]`. The hex digits,
                    ;; sixteen at a time (the byte at `stop` is '\r' or '\n', so no run passes it).
                    (local.set $q (local.get $start))
                    (loop $hex
                      (local.set $v (v128.load (local.get $q)))
                      (local.set $t1 (i32.ctz (i32.xor (i32.const -1) (i8x16.bitmask (v128.or
                        (i8x16.lt_u (i8x16.sub (local.get $v) (i8x16.splat (i32.const 0x30)))
                                    (i8x16.splat (i32.const 10)))
                        (i8x16.lt_u (i8x16.sub (v128.or (local.get $v) (i8x16.splat (i32.const 0x20)))
                                               (i8x16.splat (i32.const 0x61)))
                                    (i8x16.splat (i32.const 6))))))))
                      (local.set $q (i32.add (local.get $q) (local.get $t1)))
                      (br_if $hex (i32.eq (local.get $t1) (i32.const 16))))
                    (br_if $report (i32.eq (local.get $q) (local.get $start)))
                    (br_if $report (i32.ge_u (i32.add (local.get $q) (i32.const 3)) (local.get $stop)))
                    (br_if $report (i32.ne (i32.load8_u (local.get $q)) (i32.const 0x20)))
                    (br_if $report (i32.eq (i32.load8_u offset=1 (local.get $q)) (i32.const 0x20)))
                    (br_if $report (i32.ne (i32.load8_u offset=2 (local.get $q)) (i32.const 0x20)))
                    (local.set $name (i32.add (local.get $q) (i32.const 3)))
                    (local.set $name_end (local.get $stop))
                    (if (i32.eq (i32.load8_u (i32.sub (local.get $stop) (i32.const 1))) (i32.const 0x5d))
                      (then
                        (local.set $name_end (call $kallsyms_module (local.get $name) (local.get $stop)))
                        (br_if $report (i32.eqz (local.get $name_end))))
                      (else
                        ;; A vmlinux line: the first one makes the reader add vmlinux.
                        (if (i32.eqz (local.get $vmlinux_seen)) (then
                          (local.set $vmlinux_seen (i32.const 1))
                          (br $report)))))
                    (br $filter))
                  ;; Module.symvers: `0x<crc>\t<symbol>\t<module>\t<export type>[\t<namespace>]`.
                  ;; The first three tabs, sixteen bytes at a time: t1 and t2 are 0 until found.
                  (local.set $t1 (i32.const 0))
                  (local.set $t2 (i32.const 0))
                  (local.set $q (local.get $start))
                  (block $tabs_found
                    (loop $tab_blocks
                      (br_if $report (i32.ge_u (local.get $q) (local.get $stop)))
                      (local.set $tabs (i8x16.bitmask
                        (i8x16.eq (v128.load (local.get $q)) (i8x16.splat (i32.const 9)))))
                      (block $block_tabs_done
                        (loop $block_tabs
                          (br_if $block_tabs_done (i32.eqz (local.get $tabs)))
                          (local.set $t3 (i32.add (local.get $q) (i32.ctz (local.get $tabs))))
                          (local.set $tabs (i32.and (local.get $tabs) (i32.sub (local.get $tabs) (i32.const 1))))
                          (br_if $report (i32.ge_u (local.get $t3) (local.get $stop)))
                          (if (i32.eqz (local.get $t1)) (then (local.set $t1 (local.get $t3)) (br $block_tabs)))
                          (if (i32.eqz (local.get $t2)) (then (local.set $t2 (local.get $t3)) (br $block_tabs)))
                          (br $tabs_found)))
                      (local.set $q (i32.add (local.get $q) (i32.const 16)))
                      (br $tab_blocks)))
                  (br_if $report (i32.eq (local.get $t1) (local.get $start)))
                  (br_if $report (i32.eq (local.get $t2) (i32.add (local.get $t1) (i32.const 1))))
                  (br_if $report (i32.eq (local.get $t3) (i32.add (local.get $t2) (i32.const 1))))
                  (br_if $report (i32.ne (local.get $c) (i32.const 0x30)))
                  (br_if $report (i32.ne (i32.or (i32.load8_u offset=1 (local.get $start)) (i32.const 0x20))
                                         (i32.const 0x78)))
                  (local.set $name (i32.add (local.get $t1) (i32.const 1)))
                  (local.set $name_end (local.get $t2)))
                ;; The name [name, name_end): NameMatcher's two tables; the reader decides names shorter than 3.
                (local.set $length (i32.sub (local.get $name_end) (local.get $name)))
                (br_if $report (i32.lt_s (local.get $length) (i32.const 3)))
                (br_if $line_done (i32.eqz (i32.load8_u
                  (i32.shr_u
                    (i32.mul
                      (i32.xor
                        (i32.or
                          (i32.or
                            (i32.shl (i32.load8_u offset=1 (local.get $name)) (i32.const 24))
                            (i32.shl (i32.load8_u (i32.sub (local.get $name_end) (i32.const 3))) (i32.const 16)))
                          (i32.or
                            (i32.shl (i32.load8_u (i32.sub (local.get $name_end) (i32.const 2))) (i32.const 8))
                            (i32.load8_u (i32.sub (local.get $name_end) (i32.const 1)))))
                        (i32.mul (local.get $length) (i32.const 0x27d4eb2d)))
                      (i32.const 0x9e3779b1))
                    (i32.const 16)))))
                (br_if $line_done (i32.eqz (call $hash_passes (local.get $name) (local.get $name_end)))))
              (call $report (local.get $count) (local.get $start) (local.get $stop) (local.get $line))
              (local.set $count (i32.add (local.get $count) (i32.const 1))))
            (local.set $start (i32.add (local.get $nl) (i32.const 1)))
            (br_if $full (i32.eq (local.get $count) (i32.const 4096)))
            (br $newlines)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (global.set $line (local.get $line))
    (global.set $object_seen (local.get $object_seen))
    (global.set $files (local.get $files))
    (global.set $vmlinux_seen (local.get $vmlinux_seen))
    ;; Not past `end`, where an added '\n' may have been.
    (global.set $resume (select (local.get $start) (local.get $end) (i32.lt_u (local.get $start) (local.get $end))))
    (local.get $count))
)
