#!/usr/bin/env bash
# Installs the man pages subdev(8) and subdevd(8) and the bash completion
# of subdev, from this checkout. PREFIX defaults to /usr/local; the
# completion goes where bash-completion looks for it.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
completions=${BASH_COMPLETION_DIR:-/usr/share/bash-completion/completions}

if [ "$(id -u)" -ne 0 ] && [ ! -w "$prefix" ]; then
  echo "install-docs: need root to write $prefix (or set PREFIX)" >&2
  exit 1
fi
install -D -m 644 Docs/subdev.8 "$prefix/share/man/man8/subdev.8"
install -D -m 644 Docs/subdevd.8 "$prefix/share/man/man8/subdevd.8"
install -D -m 644 completions/subdev.bash "$completions/subdev"
# Refresh man's index when it has one, so apropos and whatis find them.
if command -v mandb >/dev/null; then mandb -q "$prefix/share/man" 2>/dev/null || true; fi
