#!/bin/sh
# Run as root: prints `ss -tulpnHe` of a fresh network namespace holding the
# sockets of helper.py and a real sshd on fe80::1%veth-op0 port 22.
# "capture.sh name" adds a process named we,ird")name, "capture.sh forge" one
# named a",pid=1,fd=3.
set -e
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$(dirname "$0")/helper.py" "$work/"
unshare -n sh -c '
set -e
ip link set lo up
ip addr add 192.0.2.1/32 dev lo
ip link add veth-op0 type veth peer name veth-op1
ip link set veth-op0 up; ip link set veth-op1 up
ip addr add fe80::1/64 dev veth-op0 nodad
ssh-keygen -q -t ed25519 -N "" -f "$1/hostkey"
printf "ListenAddress fe80::1%%veth-op0\nHostKey %s\nPidFile none\nUsePAM no\n" "$1/hostkey" > "$1/sshd_config"
/usr/sbin/sshd -D -e -f "$1/sshd_config" -p 22 2>"$1/sshd.log" & sshd=$!
mkfifo "$1/in"
python3 "$1/helper.py" $2 < "$1/in" > "$1/ready" & helper=$!
exec 3>"$1/in"
i=0; until grep -q ready "$1/ready" && grep -q "Server listening" "$1/sshd.log"; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
ss -tulpnHe > "$1/ss.txt"
exec 3>&-
kill $sshd; wait $helper; wait $sshd || true
' sh "$work" "$1"
cat "$work/ss.txt"
