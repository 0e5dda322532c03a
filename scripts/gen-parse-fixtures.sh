#!/bin/sh
# gen-parse-fixtures.sh OUTDIR — record real netstat, ss and lsof outputs for
# the parser tests: a fresh network namespace gets known listeners (python3
# sockets: tcp *:8080, tcp6 [::]:8443 v6-only, tcp 127.0.0.1:6310, udp
# *:5353 joined twice to 224.0.0.251, udp6 [::]:5300) and one established
# connection to 8080, then each tool runs inside it, in several languages
# (net-tools is translated; run `localedef -i fr_FR -f UTF-8 fr_FR.UTF-8`
# and the like first). Needs root. Cleans up its namespace and processes.
set -eu
out=${1:?usage: gen-parse-fixtures.sh OUTDIR}
mkdir -p "$out"
ns=opfx$$
ip netns add "$ns"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
ip -n "$ns" link set lo up
run() { ip netns exec "$ns" "$@"; }
# waitfor MESSAGE COMMAND...: poll (at most 10 s) until COMMAND succeeds.
waitfor() {
	msg=$1
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "$msg" >&2; exit 1; }
		sleep 0.1
	done
}
# /usr/bin/python3: readable by the unprivileged user too. Started with
# ip netns exec directly (no shell function), so that $! is the process
# itself and cleanup can end it.
py3=/usr/bin/python3
py='
import socket, sys, time, struct
kind = sys.argv[1]
if kind == "tcp4":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 8080)); s.listen(); c = socket.create_connection(("127.0.0.1", 8080)); a = s.accept()
elif kind == "tcp6":
    s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::", 8443)); s.listen()
elif kind == "lo":
    s = socket.socket(); s.bind(("127.0.0.1", 6310)); s.listen()
elif kind == "mdns":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("224.0.0.251", 5353))
elif kind == "hidden":
    s = socket.socket(); s.bind(("0.0.0.0", 9090)); s.listen(); a = s.accept()
elif kind == "raw":
    r6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 58)
    r4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, 17)
    p6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6)
    p6.bind(("::", 0))
elif kind == "udp6":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 5300))
time.sleep(120)
'
run sysctl -qw net.ipv4.ping_group_range="0 0"
for k in tcp4 tcp6 lo mdns mdns udp6 raw; do
	ip netns exec "$ns" $py3 -c "$py" "$k" &
	pids="$pids $!"
done
started() { [ "$(run ss -Htuln | wc -l)" -ge 6 ] && [ "$(run ss -Htn state established | wc -l)" -ge 2 ]; }
waitfor "listeners did not start" started
run netstat -anp >"$out/linux-netns-anp.txt" 2>&1
run netstat -tulpn >"$out/linux-netns-tulpn.txt" 2>&1
run netstat -p >"$out/linux-netns-p.txt" 2>&1
run netstat -tn >"$out/linux-netns-tn.txt" 2>&1
for l in fr_FR de_DE ja_JP pt_BR cs_CZ et_EE; do
	run env LANG=$l.UTF-8 LC_ALL=$l.UTF-8 netstat -laputen >"$out/linux-netns-laputen-$l.txt" 2>&1
done
run ss -antp >"$out/linux-netns-ss-antp.txt" 2>&1
run ss -tulpn >"$out/linux-netns-ss-tulpn.txt" 2>&1
run ss -antup >"$out/linux-netns-ss-antup.txt" 2>&1
run ss -a >"$out/linux-netns-ss-a.txt" 2>&1
run ss -awp >"$out/linux-netns-ss-awp.txt" 2>&1
run netstat -awp >"$out/linux-netns-awp.txt" 2>&1
run netstat -tlp >"$out/linux-netns-tlp-names.txt" 2>&1
run lsof -nP -i -F >"$out/linux-netns-lsof-F.txt" 2>&1
run lsof -nP -i -FpcLuftPn >"$out/linux-netns-lsof-FpcLuftPn.txt" 2>&1
# A listener of an unprivileged user with a connection from root, seen by
# that user: only the connected socket's owner is hidden.
for p in $pids; do kill "$p" 2>/dev/null || true; done
for p in $pids; do wait "$p" 2>/dev/null || true; done
pids=""
ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups $py3 -c "$py" hidden &
pids="$pids $!"
listening9090() { [ "$(run ss -Htln | grep -c ':9090 ')" -ge 1 ]; }
waitfor "listener did not start" listening9090
ip netns exec "$ns" $py3 -c 'import socket,time; c=socket.create_connection(("127.0.0.1",9090)); time.sleep(120)' &
pids="$pids $!"
connected() { [ "$(run ss -Htn state established | wc -l)" -ge 2 ]; }
waitfor "connection did not start" connected
asnobody() { run setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
asnobody ss -antup >"$out/linux-netns-nobody-ss-antup.txt" 2>&1
asnobody ss -tulpn >"$out/linux-netns-nobody-ss-tulpn.txt" 2>&1
asnobody netstat -antup >"$out/linux-netns-nobody-antup.txt" 2>&1
asnobody netstat -tulpn >"$out/linux-netns-nobody-tulpn.txt" 2>&1
{
	echo "generated $(date -u +%Y-%m-%dT%H:%M:%SZ) by scripts/gen-parse-fixtures.sh"
	echo "kernel $(uname -r); $(netstat --version 2>&1 | head -1); $(ss --version 2>&1 | head -1); $(lsof -v 2>&1 | grep -m1 revision)"
} >"$out/GENERATED.txt"
