#!/usr/bin/env bash
# Every test: installs what is missing, builds everything (the integration
# tests start the built subdevd and subdev), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
