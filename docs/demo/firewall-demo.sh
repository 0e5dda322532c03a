#!/bin/sh
# The README's firewall demo, as root on Linux with nft, nmap, python3 and
# a built openports (OPENPORTS=path, default ./openports): a private
# network namespace "demo" (eth0 198.51.100.1) scanned from "scanner"
# (198.51.100.2), a server policy that drops what it does not allow,
# Docker 29's nftables rules for a container published with -p 8080:80
# (the "container" namespace, 192.0.2.2 behind bridge1), and listeners on
# 22, 6379 and 8080. Everything is removed at the end.
set -eu
OPENPORTS=${OPENPORTS:-./openports}
here=$(dirname "$0")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for ns in demo scanner container; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

for ns in demo scanner container; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n demo link add eth0 type veth peer name eth0 netns scanner
ip -n demo addr add 198.51.100.1/24 dev eth0
ip -n scanner addr add 198.51.100.2/24 dev eth0
ip -n demo link add bridge1 type veth peer name eth0 netns container
ip -n demo addr add 192.0.2.1/24 dev bridge1
ip -n container addr add 192.0.2.2/24 dev eth0
for l in "demo eth0" "demo bridge1" "scanner eth0" "container eth0"; do set -- $l; ip -n "$1" link set "$2" up; done
ip -n container route add default via 192.0.2.1
ip netns exec demo sysctl -qw net.ipv4.ip_forward=1

ip netns exec demo nft -f - <<'NFT'
table inet filter {
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    iif lo accept
    tcp dport 22 accept
  }
}
NFT
ip netns exec demo nft -f "$here/docker-published-8080.nft"

listen='import socket, sys, time
socks = []
for port in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port)); s.listen(); socks.append(s)
time.sleep(3600)'
ip netns exec demo python3 -c "$listen" 22 6379 8080 & pids="$pids $!"
ip netns exec container python3 -c "$listen" 80 & pids="$pids $!"
sleep 1

echo '$ ss -tlnp'
ip netns exec demo ss -tlnp
echo '$ openports --explain'
ip netns exec demo "$OPENPORTS" --explain || true
ip netns exec scanner nmap -n -Pn -sS -p 22,80,6379,8080 -oX /tmp/openports-demo-scan.xml 198.51.100.1 >/dev/null
echo '$ openports list --outside scan.xml'
ip netns exec demo "$OPENPORTS" list --outside /tmp/openports-demo-scan.xml || true
rm -f /tmp/openports-demo-scan.xml
