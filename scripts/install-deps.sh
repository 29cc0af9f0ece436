#!/usr/bin/env bash
# Installs what building and testing subdev needs, when it is missing:
# libnl-3 and libnl-genl-3 with their headers, pkg-config, gcc (the C uAPI
# header and the plain libnl client are compiled in tests), setpriv
# (util-linux, to run a client as uid 65534), genl (iproute2, the
# benchmark's reference for a cold start), man and groff (the man pages are
# rendered in tests), valgrind and objcopy (binutils: the benchmark counts
# the model's instructions under callgrind), and python's jsonschema and PyYAML (the spec is
# validated against the kernel's YNL schema). Then installs the man pages
# and the bash completion (scripts/install-docs.sh).
set -euo pipefail

missing=()
pkg-config --exists libnl-genl-3.0 2>/dev/null || missing+=(libnl-3-dev libnl-genl-3-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
command -v setpriv >/dev/null || missing+=(util-linux)
command -v genl >/dev/null || missing+=(iproute2)
command -v python3 >/dev/null || missing+=(python3 python3-pip)
command -v man >/dev/null || missing+=(man-db)
command -v groff >/dev/null || missing+=(groff-base)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v objcopy >/dev/null || missing+=(binutils)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
  echo "install-deps: installing python jsonschema and PyYAML"
  python3 -m pip install --quiet jsonschema pyyaml
fi

command -v swift >/dev/null || { echo "install-deps: swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }

bash "$(dirname "$0")/install-docs.sh"
