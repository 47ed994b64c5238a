#!/usr/bin/env bash
# The real peers of the compatibility matrix's tests, installed or built where missing:
#   - Debian's chromium (the HTML report is tested in a headless browser) and Node.js;
#   - the NoETL CLI (`noetl` 5.3.2 from the Python package index) in a venv of its own,
#     outside the clone: ~/.cache/noetl-events-conformance/noetl-cli-venv;
#   - the Rust adapter rebuilt on the pins of NoETL's published binaries (scripts/producers.sh),
#     listed as NAME=PATH lines in ~/.cache/noetl-events-conformance/producers.txt.
# Prints `export` lines for the tests: eval "$(scripts/peers.sh)".
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$HOME/.cache/noetl-events-conformance"
NOETL_VERSION=5.3.2
say() { printf 'peers: %s\n' "$*" >&2; }
mkdir -p "$CACHE"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -q >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2
fi

venv="$CACHE/noetl-cli-venv"
if [ "$("$venv/bin/noetl" --version 2>/dev/null)" != "noetl $NOETL_VERSION" ]; then
  say "installing the NoETL CLI $NOETL_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "noetl==$NOETL_VERSION" >&2
fi

started=$(date +%s)
"$HERE/producers.sh" > "$CACHE/producers.txt.new"
mv "$CACHE/producers.txt.new" "$CACHE/producers.txt"
say "pinned producers ready in $(( $(date +%s) - started )) s"

printf 'export NOETL_EVENTS_NOETL_CLI=%q\n' "$venv/bin/noetl"
printf 'export NOETL_EVENTS_PRODUCERS_LIST=%q\n' "$CACHE/producers.txt"
