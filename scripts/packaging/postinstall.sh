#!/bin/sh
# After install or upgrade: let systemd see the new units. Nothing is
# enabled or started: write a baseline first (docs/fleet.md), then
#   systemctl enable --now openports-check.timer
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
