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
# and says whether each target is met (time as CPU seconds, user + system).
# The parsing stage alone is benchmarked in Go:
#   go test ./internal/parse/multi -run '^$' -bench Analyze -benchtime 1x
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
# target seconds (CPU: user + system, the figure that holds under load)
# and peak RSS in KiB (0: none) of each input
targets="ss-1m 10 102400
random 20 102400
alternate 5 0"
echo "$targets" | while read -r f secs kib; do
	size=$(wc -c <"$dir/$f.txt")
	/usr/bin/time -o "$dir/$f.time" -f "%e %U %S %M" \
		"$bin" analyze -o json "$dir/$f.txt" >"$dir/$f.json" 2>"$dir/$f.err" || true
	read -r wall user sys rss <<EOF
$(tail -1 "$dir/$f.time")
EOF
	rows=$(grep -c '"proto"' "$dir/$f.json" || true)
	echo "$f ($size bytes): $wall s wall, $user s user, $sys s sys, $rss KiB peak RSS; rows in the report: $rows"
	awk -v u="$user" -v s="$sys" -v r="$rss" -v secs="$secs" -v kib="$kib" 'BEGIN{
		cpu = u + s
		printf "  target <= %d s: %.2f s CPU, %s\n", secs, cpu, cpu <= secs ? "met" : "MISSED"
		if (kib > 0) printf "  target <= %d MiB: %.1f MiB, %s\n", kib/1024, r/1024, r <= kib ? "met" : "MISSED"
	}'
done
