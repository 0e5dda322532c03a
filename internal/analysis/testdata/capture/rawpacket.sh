#!/bin/sh
# Records rawpacket.snapshot.json in DIR: what `openports snapshot`, built
# from this tree, writes about a network namespace with no listener where a
# python3 holds what the BPFDoor backdoor waits on: a raw TCP socket
# (socket(AF_INET, SOCK_RAW, IPPROTO_TCP)) and an AF_PACKET socket of
# ETH_P_ALL. Run as root, from the repository root:
#   sh internal/analysis/testdata/capture/rawpacket.sh internal/analysis/testdata
# Needs: go, python3, util-linux (unshare), iproute2.
set -e
if [ "$1" != inside ]; then
	out=$(cd "${1:?usage: rawpacket.sh DIR}" && pwd)
	w=$(mktemp -d)
	CGO_ENABLED=0 go build -o "$w/openports" ./cmd/openports
	unshare -n -u sh "$0" inside "$w"
	cp "$w/rawpacket.snapshot.json" "$out/"
	rm -rf "$w"
	exit
fi
w=$2
hostname rawpacket-host
ip link set lo up
mkfifo "$w/ready"
# signal.pause() holds the sockets until the kill below, reading nothing
# (sys.stdin.read() of /dev/zero grew without bound meanwhile).
python3 -c '
import signal, socket, sys
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
open(sys.argv[1], "w").write("ready\n")
signal.pause()
' "$w/ready" < /dev/null > /dev/null &
holder=$!
read -r _ < "$w/ready"
"$w/openports" snapshot > "$w/rawpacket.snapshot.json" || [ $? -eq 3 ]
kill "$holder"
