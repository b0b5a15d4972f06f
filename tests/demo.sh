#!/usr/bin/env bash
# make demo: run contactwatchd once on the shipped example config (conf/) and
# sample exports (contrib/examples/), then show what the legal team would see.
# State goes to build/demo/ (fresh each run); nothing outside build/ is written.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
demo=$PWD/build/demo
rm -rf "$demo"
mkdir -p "$demo/state"
export STATE_DIRECTORY=$demo/state
conf=conf/contactwatch.conf

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "contactwatchd --check-config"
"$build/contactwatchd" -c "$conf" --check-config

step "contactwatchd --once (scans every employee in a live clause window)"
"$build/contactwatchd" -c "$conf" --once

step "contactwatchctl alerts"
"$build/contactwatchctl" -c "$conf" alerts

for id in $("$build/contactwatchctl" -c "$conf" --json alerts | python3 -c 'import json,sys; print(" ".join(str(a["id"]) for a in json.load(sys.stdin)))'); do
	step "contactwatchctl show $id"
	"$build/contactwatchctl" -c "$conf" show "$id"
done

step "contactwatchctl status"
"$build/contactwatchctl" -c "$conf" status

printf '\nState database: %s/contactwatch.db; alerts also appended to build/demo/alerts.jsonl\n' "$STATE_DIRECTORY"
