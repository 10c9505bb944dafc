# TAP output for the shell tests of tests/host (sourced, not run).
# result OK DESCRIPTION [DETAIL...]: one "ok N" / "not ok N" line, the
# details as comments under a failure; $fails counts the failures.
n=0
fails=0
result() {
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		shift 2
		for l in "$@"; do echo "#   $l"; done
		fails=$((fails + 1))
	fi
}
