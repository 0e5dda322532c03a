# Shell functions of the scripts that record snapshots on a test host made
# for them (host.sh beside this file, cmd/openports/testdata/diff/capture.sh).
# Each runs itself twice: outside, `prepare` builds openports and makes the
# work directory $w; inside new network and UTS namespaces (`unshare -n -u`),
# `inside` names the host and ends every process started when the script
# exits. The processes stay in this machine's PID namespace, as a host's
# daemons would, and openports runs as root beside them.

# prepare: $w, a new work directory others can read (daemons drop to their
# users), holding openports built from this tree.
prepare() {
	w=$(mktemp -d)
	chmod 755 "$w"
	trap 'rm -rf "$w"' EXIT
	(cd "$(dirname "$lib")/../../../.." && go build -o "$w/openports" ./cmd/openports)
}

# inside NAME IFACE: in the new namespaces, name the host NAME, bring lo up
# and make IFACE, a veth whose other end (veth1, up) is in a namespace of
# its own, held by the process $peer. Every PID added to $pids is killed on
# exit, after fd 3 (a helper's stdin) is closed.
inside() {
	pids=
	trap 'exec 3>&- 2>/dev/null || true; kill $pids 2>/dev/null || true; wait' EXIT
	hostname "$1"
	ip link set lo up
	unshare -n sleep 600 &
	peer=$!
	pids="$pids $peer"
	waitfor "[ \"\$(readlink /proc/$peer/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
	ip link add "$2" type veth peer name veth1 netns "$peer"
	nsenter -t "$peer" -n ip link set veth1 up
}

# waitfor CMD: until the shell command CMD succeeds, for at most 20 s.
waitfor() {
	i=0
	until sh -c "$1" >/dev/null 2>&1; do
		i=$((i+1))
		[ $i -lt 200 ] || { echo "timed out: $1" >&2; exit 1; }
		sleep 0.1
	done
}

# start_sshd ADDRESS...: start a real sshd on port 22 of each ADDRESS with a new
# host key, in the background ($! is its PID).
start_sshd() {
	[ -f "$w/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N "" -C "$(hostname)" -f "$w/ssh_host_ed25519_key"
	{
		for a in "$@"; do echo "ListenAddress $a"; done
		printf "HostKey %s\nPidFile none\nUsePAM no\n" "$w/ssh_host_ed25519_key"
	} > "$w/sshd_config"
	/usr/sbin/sshd -D -e -f "$w/sshd_config" 2>>"$w/sshd.log" &
}

# snapshot FILE: what `openports snapshot` writes, into FILE. Exit 3 (an
# incomplete view) is no failure: the snapshot's gaps say what is missing.
snapshot() {
	"$w/openports" snapshot > "$1" || [ $? -eq 3 ]
}
