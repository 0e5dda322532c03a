#!/usr/bin/env bash
# gotest.sh runs every Go test (arguments are passed to go test) and then
# lists every test that was skipped, with its reason, so that a run as root
# (CI) shows at a glance which privileged tests did not run. The verbose log
# is kept in .test.log for failed runs.
set -uo pipefail
log=.test.log
"${GO:-go}" test -v "$@" ./... >"$log" 2>&1
rc=$?
grep -E '^(ok|FAIL|panic:|\?)' "$log" | grep -v 'no test files'
if [ $rc -ne 0 ]; then
	echo
	echo "failures (full log: $log):"
	grep -E -B25 -A2 -- '^\s*--- FAIL' "$log" | head -400
fi
# go test -v prints a skip's reason just before its "--- SKIP" line.
skips=$(awk '/^[[:space:]]*--- SKIP/ { name = $3; reason = (prev ~ /\.go:[0-9]+:/) ? prev : "(no reason given)"; sub(/^[[:space:]]+/, "", reason); print name ": " reason } { prev = $0 }' "$log")
echo
if [ -n "$skips" ]; then
	echo "skipped tests ($(printf '%s\n' "$skips" | wc -l)):"
	printf '%s\n' "$skips" | head -60
else
	echo "no test was skipped"
fi
exit $rc
