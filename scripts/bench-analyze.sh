#!/bin/sh
# bench-analyze.sh [OPENPORTS] — the size and time targets of
# `openports analyze` (issue 13), measured on generated inputs: wall and
# CPU seconds and peak RSS (GNU time) of the real binary on
#   ss-1m:     `ss -antp`-shaped, 50 listeners and 1,000,000 connections (~100 MB)
#              target <= 10 s, <= 100 MiB
#   random:    200 MB of random printable text (base64)
#              target <= 20 s, <= 100 MiB, and no row
#   alternate: 200,000 alternating netstat -an / fstat lines (BSD), each
#              listener joined to its owner
#              target <= 5 s
# The inputs are generated (not fixtures): they test scale, not formats.
# Quote the machine's load with the figures (uptime is printed).
set -eu
bin=${1:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
if [ -z "$bin" ]; then
	bin=$dir/openports
	go build -o "$bin" ./cmd/openports
fi
awk 'BEGIN{print "State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process";
	for(i=0;i<50;i++) printf "LISTEN     0      128          0.0.0.0:%d        0.0.0.0:*     users:((\"nginx\",pid=%d,fd=6))\n", 8000+i, 1000+i;
	for(i=0;i<1000000;i++) printf "ESTAB      0      0        10.0.%d.%d:%d    192.0.2.%d:%d   users:((\"nginx\",pid=%d,fd=%d))\n", int(i/65536)%256, int(i/256)%256, 8000+(i%50), i%250, 1024+(i%60000), 1000+(i%50), 10+(i%1000)}' >"$dir/ss-1m.txt"
head -c 150000000 /dev/urandom | base64 -w 76 >"$dir/random.txt"
awk 'BEGIN{for(i=0;i<100000;i++){a=int(i/250)%250; b=i%250; p=1024+(i%60000);
	printf "tcp        0      0  10.%d.%d.1.%d          *.*                    LISTEN\n", a,b,p;
	printf "root     sshd       %d    3* internet stream tcp c%07x 10.%d.%d.1:%d\n", 1000+i%30000, i, a,b,p}}' >"$dir/alternate.txt"
uptime
for f in ss-1m random alternate; do
	size=$(wc -c <"$dir/$f.txt")
	/usr/bin/time -f "$f ($size bytes): %e s wall, %U s user, %S s sys, %M KiB peak RSS" \
		"$bin" analyze -o json "$dir/$f.txt" >"$dir/$f.json" 2>"$dir/$f.err" || true
	tail -1 "$dir/$f.err"
	rows=$(grep -c '"proto"' "$dir/$f.json" || true)
	echo "  rows in the report: $rows"
done
