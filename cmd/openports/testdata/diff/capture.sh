#!/bin/sh
# Records before.json and after.json here: what `openports snapshot`, built
# from this tree, writes about one test host before and after a change.
# Run as root:
#   sh cmd/openports/testdata/diff/capture.sh cmd/openports/testdata/diff
#
# The host is a fresh network namespace in a UTS namespace named web1; its
# processes stay in this machine's PID namespace, as a host's daemons
# would, and openports runs as root beside them. It has loopback and eth0
# (192.0.2.10/24, a veth to a peer namespace).
#   before: sshd (root) on 0.0.0.0:22; dnsmasq answering DNS on
#           127.0.0.1:53 only (--listen-address, --bind-interfaces);
#           python3 -m http.server (nobody) on 192.0.2.10:8000
#   after:  sshd restarted (the same socket address, another process);
#           dnsmasq restarted without --bind-interfaces, on 0.0.0.0:53 and
#           [::]:53; http.server stopped; a python3 (nobody) UDP socket
#           bound to 192.0.2.10 on a port the kernel picked (ephemeral)
# Needs: go, openssh-server, dnsmasq, python3, iproute2, util-linux.
set -e
out=$(cd "${1:?usage: capture.sh DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
(cd "$here/../../../.." && go build -o "$work/openports" ./cmd/openports)
unshare -n -u sh -c '
set -e
w=$1
pids=
stop() {
	exec 3>&- 2>/dev/null || true
	kill $pids 2>/dev/null || true
	wait
}
trap stop EXIT
# waitfor CMD: until CMD succeeds, for at most 20 s.
waitfor() {
	i=0
	until sh -c "$1" >/dev/null 2>&1; do
		i=$((i+1)); [ $i -lt 200 ] || { echo "timed out: $1" >&2; exit 1; }
		sleep 0.1
	done
}
# snapshot FILE: openports snapshot, whose exit 3 (an incomplete view) is
# recorded in the file'"'"'s gaps.
snapshot() { "$w/openports" snapshot > "$1" || [ $? -eq 3 ]; }
hostname web1
ip link set lo up
unshare -n sleep 600 & peer=$!; pids="$pids $peer"
waitfor "[ \"\$(readlink /proc/$peer/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
ip link add eth0 type veth peer name veth1 netns $peer
ip addr add 192.0.2.10/24 dev eth0
ip link set eth0 up
nsenter -t $peer -n sh -c "ip link set veth1 up; ip addr add 192.0.2.1/24 dev veth1"

ssh-keygen -q -t ed25519 -N "" -C web1 -f "$w/ssh_host_ed25519_key"
printf "ListenAddress 0.0.0.0\nHostKey %s\nPidFile none\nUsePAM no\n" "$w/ssh_host_ed25519_key" > "$w/sshd_config"
/usr/sbin/sshd -D -e -f "$w/sshd_config" 2>"$w/sshd.log" & sshd=$!; pids="$pids $sshd"
dnsmasq -k --conf-file=/dev/null --pid-file="$w/dnsmasq.pid" --user=dnsmasq --no-resolv --no-hosts \
	--log-facility="$w/dnsmasq.log" --listen-address=127.0.0.1 --bind-interfaces & dns=$!; pids="$pids $dns"
mkdir -p "$w/empty"
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -m http.server --bind 192.0.2.10 --directory "$w/empty" 8000 \
	>"$w/http.log" 2>&1 & http=$!; pids="$pids $http"
waitfor "ss -Hltn sport = :22 | grep -q ."
waitfor "[ \$(ss -Hlun sport = :53 | wc -l) -eq 1 ] && [ \$(ss -Hltn sport = :53 | wc -l) -eq 1 ]"
waitfor "ss -Hltn sport = :8000 | grep -q ."
snapshot "$w/before.json"

kill $sshd $dns $http
wait $sshd $dns $http || true
/usr/sbin/sshd -D -e -f "$w/sshd_config" 2>"$w/sshd2.log" & pids="$pids $!"
dnsmasq -k --conf-file=/dev/null --pid-file="$w/dnsmasq.pid" --user=dnsmasq --no-resolv --no-hosts \
	--log-facility="$w/dnsmasq2.log" & pids="$pids $!"
mkfifo -m 644 "$w/in"
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((\"192.0.2.10\", 0))
print(\"ready\", flush=True)
sys.stdin.read()
" < "$w/in" > "$w/ready" & pids="$pids $!"
exec 3>"$w/in"
waitfor "ss -Hltn sport = :22 | grep -q ."
waitfor "[ \$(ss -Hlun sport = :53 | wc -l) -eq 2 ] && [ \$(ss -Hltn sport = :53 | wc -l) -eq 2 ]"
waitfor "grep -q ready $w/ready"
snapshot "$w/after.json"
' sh "$work"
cp "$work/before.json" "$work/after.json" "$out/"
