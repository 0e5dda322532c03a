#!/usr/bin/env bash
# test-deps.sh installs, with apt-get, the Debian packages the tests need and
# that are missing; it changes nothing when all are there. The list below is
# the one place that names them.
#
#   iproute2        ip (namespaces, veth, addresses) and ss (cross-check)
#   openssh-server  a real daemon for the integration tests (sshd)
#   openssh-client  ssh-keygen for sshd's throwaway host key
#   util-linux      unshare, nsenter, setpriv
#   procps          ps, for debugging failed runs
#   lsof, net-tools lsof and netstat, which the benchmarks compare with
#   dnsmasq-base    dnsmasq without its service, the DNS server of the check tests
#   clang-14, llvm-14, libbpf-dev   bpf/generate.sh: rebuild the eBPF objects
#                   (the bpfowners test that checks they are up to date)
#   nftables        nft -f: Docker's native and netavark's rules (natrules tests),
#                   and the firewall evaluator's kernel-oracle tests
#   iptables        iptables-nft-restore, iptables-legacy-restore/-save: Docker's
#                   and kube-proxy's rules in both backends (natrules, integration),
#                   ufw's rules in the firewall kernel-oracle test
#   slirp4netns     rootless Podman's user-mode forwarder (integration)
#   passt           pasta, Podman's newer user-mode forwarder (integration)
#   nmap            the outside view: a real scan of a test namespace (nmap -oX)
#   prometheus, prometheus-node-exporter   test/fleet: the textfile → node_exporter
#                   → Prometheus → alert pipeline, promtool (check metrics, test rules)
#   systemd         systemd-analyze verify on the shipped units (test/fleet)
#   man-db, bash-completion   man -w and the completion of `explain s<TAB>` in the
#                   package install check (scripts/ci-package.sh)
set -euo pipefail

PACKAGES=(iproute2 openssh-server openssh-client util-linux procps lsof net-tools dnsmasq-base clang-14 llvm-14 libbpf-dev nftables iptables slirp4netns passt nmap prometheus prometheus-node-exporter systemd man-db bash-completion)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "test-deps: all present (${PACKAGES[*]})"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "test-deps: missing ${missing[*]}, and apt-get is not available: install them by hand" >&2
	exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=(sudo -n)
	else
		echo "test-deps: missing ${missing[*]}; run as root (or with passwordless sudo): sudo $0" >&2
		exit 1
	fi
fi

echo "test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
# policy-rc.d keeps the package scripts from starting sshd on the host.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
	"${SUDO[@]}" chmod 755 "$policy"
	created_policy=1
fi
status=0
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
if [ "$created_policy" -eq 1 ]; then
	"${SUDO[@]}" rm -f "$policy"
fi
exit "$status"
