;; The map scanner's line loop in WebAssembly (see src/symbols/line-filter.ts).
;;
;; scan() finds the lines of window[from, end) sixteen bytes at a time and
;; records, for JavaScript, only the lines its reader must see:
;;   - lines whose name field passes the pre-filter table (the same table and
;;     key as NameMatcher: length, second byte, last three bytes);
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
;; Memory layout (byte addresses; line-filter.ts holds the same numbers):
;;   0       the pre-filter table, 65536 bytes, one per key (non-zero: maybe wanted)
;;   65536   the module name of the last kallsyms module run, up to 256 bytes
;;   66560   the records, 4096 x (start, stop, line) as i32: one per reported line
;;   131072  the window, to the end of memory less 16 bytes (a block load may pass `end`)
(module
  (memory (export "memory") 3)

  (global $format (mut i32) (i32.const 0))
  ;; The number of the last line seen; JavaScript sets it before a scan and reads it after.
  (global $line (export "line") (mut i32) (i32.const 0))
  ;; Where the last scan stopped: the start of the first line not handled.
  (global $resume (export "resume") (mut i32) (i32.const 0))
  (global $count (mut i32) (i32.const 0))
  ;; Reader state, as far as it decides what JavaScript must see.
  (global $object_seen (mut i32) (i32.const 0))
  (global $files (mut i32) (i32.const 0))
  (global $vmlinux_seen (mut i32) (i32.const 0))
  ;; Length of the remembered module name; -1 when none is remembered.
  (global $module_length (mut i32) (i32.const -1))

  ;; The formats (line-filter.ts passes these numbers).
  ;; 1 upstream map, 2 compact map, 3 /proc/kallsyms or System.map, 4 Module.symvers
  (func (export "begin") (param $format i32) (param $line i32)
    (global.set $format (local.get $format))
    (global.set $line (local.get $line))
    (global.set $object_seen (i32.const 0))
    (global.set $files (i32.const 0))
    (global.set $vmlinux_seen (i32.const 0))
    (global.set $module_length (i32.const -1)))

  ;; Record window bytes [start, stop) of line $line for JavaScript.
  (func $report (param $start i32) (param $stop i32)
    (local $at i32)
    (local.set $at (i32.add (i32.const 66560) (i32.mul (global.get $count) (i32.const 12))))
    (i32.store (local.get $at) (local.get $start))
    (i32.store offset=4 (local.get $at) (local.get $stop))
    (i32.store offset=8 (local.get $at) (global.get $line))
    (global.set $count (i32.add (global.get $count) (i32.const 1))))

  ;; Whether the name [start, stop) may be wanted: its pre-filter entry, or 1 when shorter than
  ;; three bytes (the reader decides those). The key is NameMatcher's filterKey.
  (func $maybe_wanted (param $start i32) (param $stop i32) (result i32)
    (local $length i32)
    (local.set $length (i32.sub (local.get $stop) (local.get $start)))
    (if (i32.lt_s (local.get $length) (i32.const 3)) (then (return (i32.const 1))))
    (i32.load8_u
      (i32.shr_u
        (i32.mul
          (i32.xor
            (i32.or
              (i32.or
                (i32.shl (i32.load8_u offset=1 (local.get $start)) (i32.const 24))
                (i32.shl (i32.load8_u (i32.sub (local.get $stop) (i32.const 3))) (i32.const 16)))
              (i32.or
                (i32.shl (i32.load8_u (i32.sub (local.get $stop) (i32.const 2))) (i32.const 8))
                (i32.load8_u (i32.sub (local.get $stop) (i32.const 1)))))
            (i32.mul (local.get $length) (i32.const 0x27d4eb2d)))
          (i32.const 0x9e3779b1))
        (i32.const 16))))

  (func $is_digit (param $c i32) (result i32)
    (i32.lt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 10)))

  (func $is_hex (param $c i32) (result i32)
    (i32.or
      (call $is_digit (local.get $c))
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 6))))

  ;; upstream map: `*<object>` or a bare name.
  (func $upstream (param $start i32) (param $stop i32) (result i32)
    (if (i32.eq (i32.load8_u (local.get $start)) (i32.const 0x2a))
      (then (global.set $object_seen (i32.const 1)) (return (i32.const 1))))
    (if (i32.eqz (global.get $object_seen)) (then (return (i32.const 1))))
    (call $maybe_wanted (local.get $start) (local.get $stop)))

  ;; compact map: `*<object>[ load]`, `@<id> <file>`, `# comment`, `<letter>[+][-][<file id>] <name>`.
  (func $compact (param $start i32) (param $stop i32) (result i32)
    (local $c i32) (local $p i32) (local $id i32) (local $digits_end i32)
    (local.set $c (i32.load8_u (local.get $start)))
    (if (i32.eq (local.get $c) (i32.const 0x2a)) (then
      (global.set $object_seen (i32.const 1))
      (global.set $files (i32.const 0))
      (return (i32.const 1))))
    ;; The reader checks that file ids count up, or stops the scan.
    (if (i32.eq (local.get $c) (i32.const 0x40)) (then
      (global.set $files (i32.add (global.get $files) (i32.const 1)))
      (return (i32.const 1))))
    (if (i32.eq (local.get $c) (i32.const 0x23)) (then (return (i32.const 0))))
    ;; A symbol line starts with an nm letter or '?', after an object line.
    (if (i32.eqz (global.get $object_seen)) (then (return (i32.const 1))))
    (if (i32.and
          (i32.ge_u (i32.sub (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.const 26))
          (i32.ne (local.get $c) (i32.const 0x3f)))
      (then (return (i32.const 1))))
    (local.set $p (i32.add (local.get $start) (i32.const 1)))
    (if (i32.ge_u (local.get $p) (local.get $stop)) (then (return (i32.const 1))))
    (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x20)) (then
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
          (br_if $digits_done (i32.eqz (call $is_digit (i32.load8_u (local.get $p)))))
          (if (i32.eq (local.get $p) (local.get $digits_end)) (then (return (i32.const 1))))
          (local.set $id (i32.add (i32.mul (local.get $id) (i32.const 10))
                                  (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $digits)))
      (if (i32.ge_u (local.get $p) (local.get $stop)) (then (return (i32.const 1))))
      (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x20)) (then (return (i32.const 1))))
      (if (i32.gt_u (local.get $id) (global.get $files)) (then (return (i32.const 1))))))
    ;; $p is at the space before the name, which must not be empty.
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (if (i32.ge_u (local.get $p) (local.get $stop)) (then (return (i32.const 1))))
    (call $maybe_wanted (local.get $p) (local.get $stop)))

  ;; kallsyms or System.map: `<hex> <letter> <name>[\t[<module>]]`.
  (func $kallsyms (param $start i32) (param $stop i32) (result i32)
    (local $p i32) (local $name i32) (local $open i32) (local $length i32) (local $i i32)
    (local.set $p (local.get $start))
    (block $hex_done
      (loop $hex
        (br_if $hex_done (i32.ge_u (local.get $p) (local.get $stop)))
        (br_if $hex_done (i32.eqz (call $is_hex (i32.load8_u (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $hex)))
    (if (i32.eq (local.get $p) (local.get $start)) (then (return (i32.const 1))))
    (if (i32.ge_u (i32.add (local.get $p) (i32.const 3)) (local.get $stop)) (then (return (i32.const 1))))
    (if (i32.ne (i32.load8_u (local.get $p)) (i32.const 0x20)) (then (return (i32.const 1))))
    (if (i32.eq (i32.load8_u offset=1 (local.get $p)) (i32.const 0x20)) (then (return (i32.const 1))))
    (if (i32.ne (i32.load8_u offset=2 (local.get $p)) (i32.const 0x20)) (then (return (i32.const 1))))
    (local.set $name (i32.add (local.get $p) (i32.const 3)))
    (if (i32.ne (i32.load8_u (i32.sub (local.get $stop) (i32.const 1))) (i32.const 0x5d)) (then
      ;; A vmlinux line: the first one makes the reader add vmlinux.
      (if (i32.eqz (global.get $vmlinux_seen)) (then
        (global.set $vmlinux_seen (i32.const 1))
        (return (i32.const 1))))
      (return (call $maybe_wanted (local.get $name) (local.get $stop)))))
    ;; `<name>\t[<module>]`: find the '[' as the reader does, from the end.
    (local.set $open (i32.sub (local.get $stop) (i32.const 2)))
    (block $found
      (loop $back
        (br_if $found (i32.le_s (local.get $open) (local.get $name)))
        (br_if $found (i32.eq (i32.load8_u (local.get $open)) (i32.const 0x5b)))
        (local.set $open (i32.sub (local.get $open) (i32.const 1)))
        (br $back)))
    (if (i32.ne (i32.load8_u (local.get $open)) (i32.const 0x5b)) (then (return (i32.const 1))))
    (if (i32.ne (i32.load8_u (i32.sub (local.get $open) (i32.const 1))) (i32.const 0x09))
      (then (return (i32.const 1))))
    (if (i32.le_s (i32.sub (local.get $open) (i32.const 1)) (local.get $name)) (then (return (i32.const 1))))
    ;; The module is [open + 1, stop - 1): a new run when it differs from the remembered one.
    (local.set $length (i32.sub (i32.sub (local.get $stop) (local.get $open)) (i32.const 2)))
    (block $new_run
      (br_if $new_run (i32.ne (local.get $length) (global.get $module_length)))
      (br_if $new_run (i32.eqz (local.get $length)))
      (local.set $i (i32.const 0))
      (loop $compare
        (br_if $new_run (i32.ne
          (i32.load8_u offset=1 (i32.add (local.get $open) (local.get $i)))
          (i32.load8_u offset=65536 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $compare (i32.lt_u (local.get $i) (local.get $length))))
      (return (call $maybe_wanted (local.get $name) (i32.sub (local.get $open) (i32.const 1)))))
    ;; Remember the new module (a longer one than the room for it is never "the same").
    (if (i32.gt_u (local.get $length) (i32.const 256))
      (then (global.set $module_length (i32.const -1)))
      (else
        (memory.copy (i32.const 65536) (i32.add (local.get $open) (i32.const 1)) (local.get $length))
        (global.set $module_length (local.get $length))))
    (i32.const 1))

  ;; The next tab in [p, stop), or stop.
  (func $next_tab (param $p i32) (param $stop i32) (result i32)
    (block $done
      (loop $search
        (br_if $done (i32.ge_u (local.get $p) (local.get $stop)))
        (br_if $done (i32.eq (i32.load8_u (local.get $p)) (i32.const 0x09)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $search)))
    (local.get $p))

  ;; Module.symvers: `0x<crc>\t<symbol>\t<module>\t<export type>[\t<namespace>]`.
  (func $symvers (param $start i32) (param $stop i32) (result i32)
    (local $t1 i32) (local $t2 i32) (local $t3 i32)
    (local.set $t1 (call $next_tab (local.get $start) (local.get $stop)))
    (if (i32.ge_u (local.get $t1) (local.get $stop)) (then (return (i32.const 1))))
    (local.set $t2 (call $next_tab (i32.add (local.get $t1) (i32.const 1)) (local.get $stop)))
    (if (i32.ge_u (local.get $t2) (local.get $stop)) (then (return (i32.const 1))))
    (local.set $t3 (call $next_tab (i32.add (local.get $t2) (i32.const 1)) (local.get $stop)))
    (if (i32.ge_u (local.get $t3) (local.get $stop)) (then (return (i32.const 1))))
    (if (i32.eq (local.get $t1) (local.get $start)) (then (return (i32.const 1))))
    (if (i32.eq (local.get $t2) (i32.add (local.get $t1) (i32.const 1))) (then (return (i32.const 1))))
    (if (i32.eq (local.get $t3) (i32.add (local.get $t2) (i32.const 1))) (then (return (i32.const 1))))
    (if (i32.ne (i32.load8_u (local.get $start)) (i32.const 0x30)) (then (return (i32.const 1))))
    (if (i32.ne (i32.or (i32.load8_u offset=1 (local.get $start)) (i32.const 0x20)) (i32.const 0x78))
      (then (return (i32.const 1))))
    (call $maybe_wanted (i32.add (local.get $t1) (i32.const 1)) (local.get $t2)))

  ;; One line ending at `end` (its '\n', or the end of the input).
  (func $line (param $start i32) (param $end i32)
    (local $stop i32) (local $wanted i32)
    (global.set $line (i32.add (global.get $line) (i32.const 1)))
    (local.set $stop (local.get $end))
    (if (i32.gt_u (local.get $end) (local.get $start)) (then
      (if (i32.eq (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 0x0d))
        (then (local.set $stop (i32.sub (local.get $end) (i32.const 1)))))))
    (if (i32.eq (local.get $stop) (local.get $start)) (then (return)))
    (block $chosen
      (block $symvers_line
        (block $kallsyms_line
          (block $compact_line
            (block $upstream_line
              (block $every_line
                (br_table $every_line $upstream_line $compact_line $kallsyms_line $symvers_line
                  (global.get $format)))
              (local.set $wanted (i32.const 1))
              (br $chosen))
            (local.set $wanted (call $upstream (local.get $start) (local.get $stop)))
            (br $chosen))
          (local.set $wanted (call $compact (local.get $start) (local.get $stop)))
          (br $chosen))
        (local.set $wanted (call $kallsyms (local.get $start) (local.get $stop)))
        (br $chosen))
      (local.set $wanted (call $symvers (local.get $start) (local.get $stop))))
    (if (local.get $wanted) (then (call $report (local.get $start) (local.get $stop)))))

  ;; Scan window bytes [from, end) (addresses) and return how many lines were reported. The scan
  ;; stops early when the 4096 records are full; $resume says where to go on either way.
  (func (export "scan") (param $from i32) (param $end i32) (param $last i32) (result i32)
    (local $start i32) (local $p i32) (local $bits i32) (local $nl i32)
    (global.set $count (i32.const 0))
    (local.set $start (local.get $from))
    (local.set $p (local.get $from))
    (block $full
      (block $blocks_done
        (loop $blocks
          (br_if $blocks_done (i32.ge_u (local.get $p) (local.get $end)))
          ;; One bit per '\n' among the sixteen bytes at p; those at or past `end` do not count.
          (local.set $bits
            (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (i8x16.splat (i32.const 10)))))
          (if (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16))
            (then (local.set $bits (i32.and (local.get $bits)
              (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $end) (local.get $p))) (i32.const 1))))))
          (block $block_done
            (loop $newlines
              (br_if $block_done (i32.eqz (local.get $bits)))
              (local.set $nl (i32.add (local.get $p) (i32.ctz (local.get $bits))))
              (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
              (call $line (local.get $start) (local.get $nl))
              (local.set $start (i32.add (local.get $nl) (i32.const 1)))
              (br_if $full (i32.eq (global.get $count) (i32.const 4096)))
              (br $newlines)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $blocks)))
      (if (i32.and (local.get $last) (i32.lt_u (local.get $start) (local.get $end))) (then
        (call $line (local.get $start) (local.get $end))
        (local.set $start (local.get $end)))))
    (global.set $resume (local.get $start))
    (global.get $count))
)
