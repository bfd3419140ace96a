# kallsyms: dump /proc/kallsyms to the results port, gzip'ed and
# base64-encoded (the serial port is the slow part: 3.6 MB raw, 1.2 MB so).
gzip -1 < /proc/kallsyms > /tmp/kallsyms.gz
out "KLPT-BEGIN-KALLSYMS gzip-base64"
base64 < /tmp/kallsyms.gz >&3
out "KLPT-END-KALLSYMS"
rm -f /tmp/kallsyms.gz
