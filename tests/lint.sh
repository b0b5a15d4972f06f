#!/bin/bash
# Static analysis of the daemon sources: cppcheck, then clang-tidy with the
# checks of .clang-tidy. Works from a fresh clone, from any directory (it cds
# to the repo root), without a compile database: the flags below mirror the
# Makefile's. Exits 1 if either tool reports anything for daemon/ or include/,
# 2 if a tool is missing; always ends with a one-line summary.
#
# clang-tidy runs once per file (in parallel), not once on daemon/*.c: clang
# 14 analysing several files in one process reports clang-analyzer-valist.
# Uninitialized on every va_start + vsnprintf after the first file (the
# checker keeps state across translation units); one file per process has
# no such false positive and needs no suppression.
set -u -o pipefail

cd "$(dirname "$0")/.." || exit 2

PKGS="libsystemd libcurl jansson sqlite3 inih libutf8proc libcrypto"

for tool in cppcheck clang-tidy pkg-config; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "lint: $tool not found" >&2
		exit 2
	fi
done
# shellcheck disable=SC2086 # the package list and pkg-config's output are word lists
if ! pkg_cflags=$(pkg-config --cflags $PKGS); then
	echo "lint: pkg-config failed for: $PKGS" >&2
	exit 2
fi
# shellcheck disable=SC2206
tidy_flags=(-Iinclude -D_GNU_SOURCE -std=gnu11 $pkg_cflags)
sources=(daemon/*.c)
status=0

# cppcheck: its exit code is the verdict (--error-exitcode=1).
cppcheck_result="ok"
if ! cppcheck --quiet --error-exitcode=1 \
	--enable=warning,style,performance,portability --inline-suppr \
	--std=c11 -Iinclude -D_GNU_SOURCE "${sources[@]}"; then
	cppcheck_result="FAILED"
	status=1
fi

# clang-tidy: its exit code ignores warnings, so count the diagnostics that
# point into our tree (system headers are not ours to fix); a non-zero exit
# (a file that does not compile) fails too.
out=$(mktemp -d) || exit 2
trap 'rm -rf "$out"' EXIT
jobs=$(nproc 2>/dev/null || echo 2)
# shellcheck disable=SC2016 # the script is expanded by the inner bash
printf '%s\n' "${sources[@]}" | xargs -P "$jobs" -I{} bash -c \
	'f=$1; shift; clang-tidy --quiet "$f" -- "$@" >"$0/${f##*/}.log" 2>&1; echo $? >"$0/${f##*/}.rc"' \
	"$out" {} "${tidy_flags[@]}"
failed_files=0
for f in "${sources[@]}"; do
	log="$out/${f##*/}.log"
	# "N warnings generated." counts system-header noise that is filtered out.
	grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' "$log"
	[ "$(cat "$out/${f##*/}.rc" 2>/dev/null)" = 0 ] || failed_files=$((failed_files + 1))
done
root=$(pwd -P)
findings=$(cat "$out"/*.log | awk -v root="$root/" '
	/^[^ :]+:[0-9]+:[0-9]+: (warning|error):/ {
		path = $0
		sub(/:.*/, "", path)
		if (index(path, root) == 1)
			path = substr(path, length(root) + 1)
		if (path ~ /^(daemon|include)\//)
			n++
	}
	END { print n + 0 }')
tidy_result="ok"
if [ "$findings" -gt 0 ] || [ "$failed_files" -gt 0 ]; then
	tidy_result="FAILED ($findings findings, $failed_files files with errors)"
	status=1
fi

echo "lint: cppcheck $cppcheck_result, clang-tidy $tidy_result (${#sources[@]} files)"
exit "$status"
