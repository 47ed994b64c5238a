#!/usr/bin/env bash
# Producer rows for the compatibility matrix: the Rust adapter, event-only
# (--no-default-features), rebuilt on the serde / serde_json / chrono / zmij versions that
# NoETL's published binaries ship, plus today's newest resolution.
#
# The pins are read from each published crate's own Cargo.lock, which cargo unpacks with the
# crate's source (a throwaway project depending on it, `cargo fetch`). Each build works on a
# copy of adapters/rust (adapters/rust itself is never touched) moved to the pins with
# `cargo update --precise`.
#
#   scripts/producers.sh            build what is missing; print NAME=PATH, one a line
#
# Settings: NOETL_EVENTS_PRODUCERS (default ~/.cache/noetl-events-conformance/producers).
# A row is rebuilt only when its pins or the adapter's sources change.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${NOETL_EVENTS_PRODUCERS:-$HOME/.cache/noetl-events-conformance/producers}"
CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
# name  published crate  version
PUBLISHED=(
  "noetl-worker-5.52.0 noetl-worker 5.52.0"
  "noetl-executor-0.13.2 noetl-executor 0.13.2"
  "noetl-cli-5.3.2 noetl 5.3.2"
)
PINNED=(serde serde_json chrono zmij itoa ryu)

say() { printf 'producers: %s\n' "$*" >&2; }
mkdir -p "$OUT"

# The lock file of a published crate, unpacked by cargo from the registry's source download.
published_lock() {
  local crate="$1" version="$2" probe="$OUT/.probe/$1-$2"
  mkdir -p "$probe/src"
  : > "$probe/src/lib.rs"
  printf '[package]\nname = "probe"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n%s = "=%s"\n' \
    "$crate" "$version" > "$probe/Cargo.toml"
  (cd "$probe" && cargo fetch --quiet >&2)
  local lock
  lock=$(ls -d "$CARGO_HOME"/registry/src/*/"$crate-$version"/Cargo.lock 2>/dev/null | head -n 1)
  [ -n "$lock" ] || { say "error: $crate $version ships no Cargo.lock"; exit 1; }
  printf '%s\n' "$lock"
}

# `name version` lines of a lock file, for the crates in PINNED (the first entry of each).
pins_of() {
  awk -v want=" ${PINNED[*]} " '
    /^name = / { gsub(/"/, "", $3); name = $3 }
    /^version = / { gsub(/"/, "", $3); if (index(want, " " name " ") && !(name in seen)) { seen[name] = 1; print name, $3 } }
  ' "$1"
}

sources_hash() {
  cat "$HERE"/adapters/rust/{Cargo.toml,Cargo.lock,build.rs} "$HERE"/adapters/rust/src/*.rs \
    "$HERE"/conformance/rust/* | sha256sum | cut -c1-16
}

# build NAME PINS...: a copy of the adapter on these pins (none: `cargo update` to the newest)
build() {
  local name="$1"; shift
  local dir="$OUT/$name" stamp
  stamp="$(sources_hash) ${*:-newest $(date +%F)}"
  if [ -x "$dir/bin/noetl-events-adapter" ] && [ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  local twin
  twin=$(grep -lxF "$stamp" "$OUT"/*/stamp 2>/dev/null | head -n 1 || true)
  if [ -n "$twin" ] && [ -x "$(dirname "$twin")/bin/noetl-events-adapter" ]; then
    say "$name: same pins as $(basename "$(dirname "$twin")"), reusing its build"
    mkdir -p "$dir/bin"
    cp "$(dirname "$twin")/bin/noetl-events-adapter" "$dir/bin/"
    printf '%s\n' "$stamp" > "$dir/stamp"
    return
  fi
  say "building $name (${*:-newest})"
  rm -rf "$dir/src" "$dir/bin"
  # the adapter includes the kit's shared Rust sources by relative path: keep the layout
  mkdir -p "$dir/src/adapters" "$dir/src/conformance"
  cp -R "$HERE/adapters/rust" "$dir/src/adapters/"
  cp -R "$HERE/conformance/rust" "$dir/src/conformance/"
  rm -rf "$dir/src/adapters/rust/target"
  (
    cd "$dir/src/adapters/rust"
    if [ "$#" -eq 0 ]; then
      cargo update --quiet
    else
      while [ "$#" -gt 0 ]; do
        if grep -q "^name = \"$1\"$" Cargo.lock; then
          cargo update --quiet -p "$1" --precise "$2"
        fi
        shift 2
      done
    fi
    CARGO_TARGET_DIR="$OUT/target" cargo build --quiet --release --no-default-features --locked
  )
  mkdir -p "$dir/bin"
  cp "$OUT/target/release/noetl-events-adapter" "$dir/bin/"
  printf '%s\n' "$stamp" > "$dir/stamp"
}

for row in "${PUBLISHED[@]}"; do
  read -r name crate version <<< "$row"
  lock=$(published_lock "$crate" "$version")
  # shellcheck disable=SC2046
  build "$name" $(pins_of "$lock")
  printf '%s=%s\n' "$name" "$OUT/$name/bin/noetl-events-adapter"
done
build newest
printf '%s=%s\n' newest "$OUT/newest/bin/noetl-events-adapter"
