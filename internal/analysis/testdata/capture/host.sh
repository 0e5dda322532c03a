#!/bin/sh
# Records host.snapshot.json and host-nobody.snapshot.json in DIR: what
# `openports snapshot`, built from this tree, writes about a test host made
# for it, run as root and, a moment later, as nobody (no capabilities: the
# view of an unprivileged user). Run as root:
#   sh internal/analysis/testdata/capture/host.sh internal/analysis/testdata
#
# The host (see lib.sh) is named fixture-host and has loopback, veth0
# (192.0.2.1/24, 2001:db8::1/64, fe80::1/64) to a peer namespace, and:
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
lib=$(dirname "$0")/lib.sh
. "$lib"
if [ "$1" != inside ]; then
	out=$(cd "${1:?usage: host.sh DIR}" && pwd)
	prepare
	cp "$(dirname "$0")/helper.py" "$w/"
	unshare -n -u sh "$0" inside "$w"
	cp "$w/host.snapshot.json" "$w/host-nobody.snapshot.json" "$out/"
	exit
fi
w=$2
inside fixture-host veth0
ip link set veth0 addrgenmode none
ip addr add 192.0.2.1/24 dev veth0
ip addr add 2001:db8::1/64 dev veth0 nodad
ip addr add fe80::1/64 dev veth0 nodad
ip link set veth0 up
nsenter -t "$peer" -n sh -c "ip addr add 192.0.2.2/24 dev veth1; ip addr add 2001:db8::2/64 dev veth1 nodad"
ip link add vxlan0 type vxlan id 42 dstport 4789 local 192.0.2.1 dev veth0
ip link set vxlan0 up

start_sshd 0.0.0.0 ::
pids="$pids $!"

dnsmasq -k --conf-file=/dev/null --pid-file="$w/dnsmasq.pid" --user=dnsmasq --bind-interfaces \
	--interface=veth0 --no-resolv --no-hosts \
	--dhcp-range=192.0.2.100,192.0.2.199,1h --dhcp-leasefile="$w/dnsmasq.leases" \
	--log-facility="$w/dnsmasq.log" &
pids="$pids $!"

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
waitfor "[ -s $w/pf/spool/pid/master.pid ]"
pids="$pids $(cat "$w/pf/spool/pid/master.pid")"

pgbin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
mkdir -p "$w/pg" "$w/pgsock"
chown postgres "$w/pg" "$w/pgsock"
setpriv --reuid=postgres --regid=postgres --init-groups "$pgbin/initdb" -D "$w/pg/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$w/initdb.log"
setpriv --reuid=postgres --regid=postgres --init-groups "$pgbin/postgres" -D "$w/pg/data" -k "$w/pgsock" \
	-c "listen_addresses=127.0.0.1,::1" -p 5432 >"$w/postgres.log" 2>&1 &
pids="$pids $!"

mkfifo -m 644 "$w/in"
setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+net_bind_service --ambient-caps=+net_bind_service \
	/usr/bin/python3 "$w/helper.py" < "$w/in" > "$w/ready" &
pids="$pids $!"
exec 3>"$w/in"

waitfor "grep -q ready $w/ready"
waitfor "ss -Hltn sport = :22 | grep -q ."
waitfor "[ \$(ss -Hltn sport = :25 | wc -l) -eq 2 ]"
waitfor "[ \$(ss -Hltn sport = :5432 | wc -l) -eq 2 ]"
waitfor "ss -Hlun sport = :67 | grep -q . && grep -q \"DHCP, IP range\" $w/dnsmasq.log"
# Four SMTP sessions at once: master starts an smtpd for each, which stays
# after QUIT, idle, holding the listening sockets.
/usr/bin/python3 -c '
import socket
cs = [socket.create_connection(("192.0.2.1", 25), timeout=10) for _ in range(4)]
for c in cs:
    assert c.recv(512).startswith(b"220")
for c in cs:
    c.sendall(b"QUIT\r\n"); c.recv(512); c.close()
'
waitfor "[ \$(ss -Hltnp sport = :25 | grep -o smtpd | wc -l) -eq 8 ]"
snapshot "$w/host.snapshot.json"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$w/openports" snapshot > "$w/host-nobody.snapshot.json" || [ $? -eq 3 ]
