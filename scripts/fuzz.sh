#!/bin/sh
# fuzz.sh [FUZZTIME] [PACKAGE-PATTERN] — run every Go fuzz target of the
# repository for a short time each (default 3s: CI's budget), one after the
# other; stop at the first failure, whose input `go test` keeps under the
# package's testdata/fuzz. PACKAGE-PATTERN (a grep -E pattern on the
# package directory, e.g. 'internal/parse') selects a subset.
set -eu
cd "$(dirname "$0")/.."
time=${1:-${FUZZTIME:-3s}}
pattern=${2:-.}
targets=$(grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
	dir=$(dirname "$f")
	for name in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$f"); do
		echo "$dir $name"
	done
done | grep -E "$pattern" || true)
[ -n "$targets" ] || { echo "fuzz.sh: no fuzz target matches $pattern" >&2; exit 2; }
n=0
echo "$targets" | while read -r dir name; do
	n=$((n + 1))
	echo "fuzz: $dir $name ($time)"
	try=1
	until go test -run '^$' -fuzz "^$name\$" -fuzztime "$time" "$dir" >/tmp/fuzz.$$.log 2>&1; do
		# A worker still busy when the time is up ends the run with
		# "context deadline exceeded" and no failing input: the engine's
		# timing on a loaded machine, not a finding. Once more, then fail.
		if [ $try -eq 1 ] && grep -q 'context deadline exceeded' /tmp/fuzz.$$.log &&
			! grep -q 'Failing input written' /tmp/fuzz.$$.log; then
			echo "fuzz: $dir $name: the run ended with a busy worker (no failing input); once more"
			try=2
			continue
		fi
		cat /tmp/fuzz.$$.log
		rm -f /tmp/fuzz.$$.log
		exit 1
	done
done
rm -f /tmp/fuzz.$$.log
