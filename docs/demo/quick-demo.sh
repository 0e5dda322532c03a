#!/bin/sh
# The README's first example, as root on Linux with a built openports
# (OPENPORTS=path, default ./openports) and Debian's openssh-server,
# dnsmasq-base and prometheus-node-exporter: a private network namespace
# "opdemo" (eth0 192.0.2.1, a veth to "oppeer") running sshd on every
# address, dnsmasq on 192.0.2.1 and node_exporter on every address, as the
# users their packages use. Everything is removed at the end.
set -eu
OPENPORTS=${OPENPORTS:-./openports}
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for ns in opdemo oppeer; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

for ns in opdemo oppeer; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n opdemo link add eth0 type veth peer name eth0 netns oppeer
ip -n opdemo addr add 192.0.2.1/24 dev eth0
ip -n oppeer addr add 192.0.2.2/24 dev eth0
ip -n opdemo link set eth0 up
ip -n oppeer link set eth0 up

ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey"
mkdir -p /run/sshd
ip netns exec opdemo /usr/sbin/sshd -D -f /dev/null -h "$tmp/hostkey" -o PidFile=none & pids="$pids $!"
ip netns exec opdemo dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address=192.0.2.1 \
	--bind-interfaces --user=nobody --pid-file="$tmp/dnsmasq.pid" & pids="$pids $!"
ip netns exec opdemo setpriv --reuid=nobody --regid=nogroup --clear-groups \
	prometheus-node-exporter --web.listen-address=:9100 >/dev/null 2>&1 & pids="$pids $!"
sleep 1

echo '$ ss -tulpn'
ip netns exec opdemo ss -tulpn
echo '$ openports'
ip netns exec opdemo "$OPENPORTS" || echo "(exit $?)"
