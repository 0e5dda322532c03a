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
	grep -E -B1 -A25 -- '^\s*--- FAIL' "$log" | head -300
fi
skips=$(grep -E -A1 -- '^\s*--- SKIP' "$log" | grep -vE -- '^(--|\s*--- SKIP)' | sed 's/^ *//' | sort | uniq -c | sort -rn)
echo
if [ -n "$skips" ]; then
	echo "skipped tests, by reason ($(grep -cE -- '^\s*--- SKIP' "$log") in all):"
	echo "$skips" | head -40
else
	echo "no test was skipped"
fi
exit $rc
