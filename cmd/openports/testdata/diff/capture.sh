#!/bin/sh
# Records before.json and after.json in DIR: what `openports snapshot`,
# built from this tree, writes about one test host before and after a
# change. Run as root:
#   sh cmd/openports/testdata/diff/capture.sh cmd/openports/testdata/diff
#
# The host (see internal/analysis/testdata/capture/lib.sh) is named web1
# and has loopback and eth0 (192.0.2.10/24) to a peer namespace.
#   before: sshd (root) on 0.0.0.0:22; dnsmasq answering DNS on
#           127.0.0.1:53 only (--listen-address, --bind-interfaces);
#           python3 -m http.server (nobody) on 192.0.2.10:8000
#   after:  sshd restarted (the same socket address, another process);
#           dnsmasq restarted without --bind-interfaces, on 0.0.0.0:53 and
#           [::]:53; http.server stopped; a python3 (nobody) UDP socket
#           bound to 192.0.2.10 on a port the kernel picked (ephemeral)
# Needs: go, openssh-server, dnsmasq, python3, iproute2, util-linux.
set -e
lib=$(dirname "$0")/../../../../internal/analysis/testdata/capture/lib.sh
. "$lib"
if [ "$1" != inside ]; then
	out=$(cd "${1:?usage: capture.sh DIR}" && pwd)
	prepare
	unshare -n -u sh "$0" inside "$w"
	cp "$w/before.json" "$w/after.json" "$out/"
	exit
fi
w=$2
inside web1 eth0
ip addr add 192.0.2.10/24 dev eth0
ip link set eth0 up
nsenter -t "$peer" -n ip addr add 192.0.2.1/24 dev veth1

start_sshd 0.0.0.0
sshd=$!
dnsmasq -k --conf-file=/dev/null --pid-file="$w/dnsmasq.pid" --user=dnsmasq --no-resolv --no-hosts \
	--log-facility="$w/dnsmasq.log" --listen-address=127.0.0.1 --bind-interfaces &
dns=$!
mkdir -p "$w/empty"
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -m http.server --bind 192.0.2.10 --directory "$w/empty" 8000 \
	>"$w/http.log" 2>&1 &
http=$!
pids="$pids $sshd $dns $http"
waitfor "ss -Hltn sport = :22 | grep -q ."
waitfor "[ \$(ss -Hlun sport = :53 | wc -l) -eq 1 ] && [ \$(ss -Hltn sport = :53 | wc -l) -eq 1 ]"
waitfor "ss -Hltn sport = :8000 | grep -q ."
snapshot "$w/before.json"

kill $sshd $dns $http
wait $sshd $dns $http || true
start_sshd 0.0.0.0
pids="$pids $!"
dnsmasq -k --conf-file=/dev/null --pid-file="$w/dnsmasq.pid" --user=dnsmasq --no-resolv --no-hosts \
	--log-facility="$w/dnsmasq.log" &
pids="$pids $!"
mkfifo -m 644 "$w/in"
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.10", 0))
print("ready", flush=True)
sys.stdin.read()
' < "$w/in" > "$w/ready" &
pids="$pids $!"
exec 3>"$w/in"
waitfor "ss -Hltn sport = :22 | grep -q ."
waitfor "[ \$(ss -Hlun sport = :53 | wc -l) -eq 2 ] && [ \$(ss -Hltn sport = :53 | wc -l) -eq 2 ]"
waitfor "grep -q ready $w/ready"
snapshot "$w/after.json"
