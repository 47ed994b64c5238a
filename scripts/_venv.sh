# Sourced by the scripts: make .venv (once) and install the kit into it.
# NOETL_EVENTS_EXTRAS selects the extras (default: none).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
fi
extras=${NOETL_EVENTS_EXTRAS:-}
spec="$root"
[ -n "$extras" ] && spec="$root[$extras]"
"$venv/bin/python" -m pip install -q -e "$spec"
export PATH="$venv/bin:$PATH"
