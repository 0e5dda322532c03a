#!/bin/sh
# Records ../host.snapshot.json: what `openports snapshot`, built from this
# tree, writes about a test host made for it. Run as root:
#   sh internal/analysis/testdata/capture/host.sh > internal/analysis/testdata/host.snapshot.json
#
# The host is a fresh network namespace in a UTS namespace named
# fixture-host; its processes stay in this machine's PID namespace, as a
# host's daemons would, and openports runs as root beside them. It has
# loopback, veth0 (192.0.2.1/24, 2001:db8::1/64, fe80::1/64) to a peer
# namespace, and:
#   sshd (root)            0.0.0.0:22 and [::]:22
#   Postfix                master (root) on 0.0.0.0:25 and [::]:25, and four
#                          smtpd (postfix) sharing both sockets: four SMTP
#                          sessions made master start them; they stay idle
#                          after QUIT, holding the listening sockets
#   dnsmasq (dnsmasq)      --interface=veth0 --bind-interfaces: DNS (udp and
#                          tcp 53) on each address of veth0 and of lo, which
#                          dnsmasq adds; DHCP on veth0 only (0.0.0.0:67
#                          bound to the device)
#   PostgreSQL (postgres)  127.0.0.1:5432 and [::1]:5432
#   vxlan0                 the kernel's UDP socket on 0.0.0.0:4789
#   helper.py (nobody)     see that file: a v6-only UDP socket, an
#                          IPv4-mapped loopback one, a link-local one on
#                          546, a dual-stack TCP listener on [::]:8443,
#                          two processes with hostile names on
#                          192.0.2.1:7000 (SO_REUSEPORT), and a listener on
#                          8080 whose only descriptor is in flight
# Needs: go, openssh-server, dnsmasq, postfix, postgresql, python3,
# iproute2 with a kernel that has vxlan, util-linux (unshare, setpriv).
set -e
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
(cd "$here/../../../.." && go build -o "$work/openports" ./cmd/openports)
cp "$here/helper.py" "$work/"
unshare -n -u sh -c '
set -e
w=$1
pids=
stop() {
	exec 3>&- 2>/dev/null || true
	postfix -c "$w/pf/etc" stop >/dev/null 2>&1 || true
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
hostname fixture-host
ip link set lo up

# The other end of veth0: a namespace of its own.
unshare -n sleep 600 & peer=$!; pids="$pids $peer"
waitfor "[ \"\$(readlink /proc/$peer/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
ip link add veth0 type veth peer name veth1 netns $peer
ip link set veth0 addrgenmode none
ip addr add 192.0.2.1/24 dev veth0
ip addr add 2001:db8::1/64 dev veth0 nodad
ip addr add fe80::1/64 dev veth0 nodad
ip link set veth0 up
nsenter -t $peer -n sh -c "ip link set veth1 up; ip addr add 192.0.2.2/24 dev veth1; ip addr add 2001:db8::2/64 dev veth1 nodad"
ip link add vxlan0 type vxlan id 42 dstport 4789 local 192.0.2.1 dev veth0
ip link set vxlan0 up

ssh-keygen -q -t ed25519 -N "" -C fixture-host -f "$w/ssh_host_ed25519_key"
printf "ListenAddress 0.0.0.0\nListenAddress ::\nHostKey %s\nPidFile none\nUsePAM no\n" "$w/ssh_host_ed25519_key" > "$w/sshd_config"
/usr/sbin/sshd -D -e -f "$w/sshd_config" 2>"$w/sshd.log" & pids="$pids $!"

dnsmasq -k --conf-file=/dev/null --pid-file="$w/dnsmasq.pid" --user=dnsmasq --bind-interfaces \
	--interface=veth0 --no-resolv --no-hosts \
	--dhcp-range=192.0.2.100,192.0.2.199,1h --dhcp-leasefile="$w/dnsmasq.leases" \
	--log-facility="$w/dnsmasq.log" & pids="$pids $!"

mkdir -p "$w/pf/etc" "$w/pf/spool" "$w/pf/data"
chown postfix "$w/pf/data"
cat > "$w/pf/etc/main.cf" <<MAIN
compatibility_level = 3.6
queue_directory = $w/pf/spool
data_directory = $w/pf/data
inet_interfaces = all
inet_protocols = all
myhostname = fixture-host.example
mydestination =
smtpd_peername_lookup = no
maillog_file = /dev/stdout
MAIN
cat > "$w/pf/etc/master.cf" <<MASTER
smtp      inet  n       -       n       -       -       smtpd
anvil     unix  -       -       n       -       1       anvil
proxymap  unix  -       -       n       -       -       proxymap
postlog   unix-dgram n  -       n       -       1       postlogd
MASTER
postfix -c "$w/pf/etc" start-fg >"$w/pf/maillog" 2>&1 &

pgbin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
mkdir -p "$w/pg" "$w/pgsock"
chown postgres "$w/pg" "$w/pgsock"
setpriv --reuid=postgres --regid=postgres --init-groups "$pgbin/initdb" -D "$w/pg/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$w/initdb.log"
setpriv --reuid=postgres --regid=postgres --init-groups "$pgbin/postgres" -D "$w/pg/data" -k "$w/pgsock" \
	-c "listen_addresses=127.0.0.1,::1" -p 5432 >"$w/postgres.log" 2>&1 & pids="$pids $!"

mkfifo -m 644 "$w/in"
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+net_bind_service --ambient-caps=+net_bind_service \
	/usr/bin/python3 "$w/helper.py" < "$w/in" > "$w/ready" & pids="$pids $!"
exec 3>"$w/in"

waitfor "grep -q ready $w/ready"
waitfor "ss -Hltn sport = :22 | grep -q ."
waitfor "[ \$(ss -Hltn sport = :25 | wc -l) -eq 2 ]"
waitfor "[ \$(ss -Hltn sport = :5432 | wc -l) -eq 2 ]"
waitfor "ss -Hlun sport = :67 | grep -q . && grep -q \"DHCP, IP range\" $w/dnsmasq.log"
# Four SMTP sessions at once: master starts an smtpd for each.
/usr/bin/python3 -c "
import socket
cs = [socket.create_connection((\"192.0.2.1\", 25), timeout=10) for _ in range(4)]
for c in cs:
    assert c.recv(512).startswith(b\"220\")
for c in cs:
    c.sendall(b\"QUIT\r\n\"); c.recv(512); c.close()
"
waitfor "[ \$(ss -Hltnp sport = :25 | grep -o smtpd | wc -l) -eq 8 ]"
"$w/openports" snapshot > "$w/snapshot.json" || [ $? -eq 3 ]
' sh "$work"
cat "$work/snapshot.json"
