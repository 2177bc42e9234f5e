#!/usr/bin/env bash
# Before pushing: run .ci/run in a fresh clone of the committed HEAD (no .venv, no data, no
# untracked files), the way CI will. Uncommitted changes are not tested: commit first.
#
#   scripts/ci-fresh-clone.sh [DIR]     (default: a new temporary directory, removed on success)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$(mktemp -d -t gridhub-ci.XXXXXX)}"
if ! git -C "$ROOT" diff --quiet HEAD; then
    echo "note: uncommitted changes in $ROOT are not part of this run" >&2
fi
git clone -q "$ROOT" "$DIR/gridhub"
echo "== fresh clone of $(git -C "$DIR/gridhub" log --oneline -1) in $DIR/gridhub"
(cd "$DIR/gridhub" && CI=true bash .ci/run)
[ -z "${1:-}" ] && rm -rf "$DIR"
echo "== fresh-clone CI passed"
