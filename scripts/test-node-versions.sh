#!/usr/bin/env bash
# Runs the whole test suite again under other Node versions: by default the newest Node 22 and
# Node 24 (CI's `npm test` has already run it under the machine's Node 20). Each version comes
# from the `node` package of the npm registry, which ships that version's binary; it is
# installed once into a cache directory and reused. Run it after `npm test` (or `npm run
# build`): the CLI and package tests use dist/.
#
#   bash scripts/test-node-versions.sh             # Node 22 and 24
#   SOCKIT_NODE_VERSIONS="22.12 24" bash scripts/test-node-versions.sh
#   SOCKIT_NODE_CACHE=/tmp/nodes ...               # where the binaries go
#                                                  # (default ~/.cache/sockit-node-versions)
#
# Vitest runs under the given binary, and so do its workers and every child the tests start
# with process.execPath; that binary's directory also leads PATH. Exits non-zero when any
# version fails; prints each version's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=${SOCKIT_NODE_VERSIONS:-"22 24"}
cache=${SOCKIT_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sockit-node-versions}
[ -f dist/index.js ] || { echo "dist/ is missing: run npm run build first" >&2; exit 2; }

failed=()
for version in $versions; do
  dir="$cache/node$version"
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node@$version" >/dev/null
  node_bin=$(readlink -f "$dir/node_modules/.bin/node")
  echo "== Node $("$node_bin" --version) (OpenSSL $("$node_bin" -p process.versions.openssl))"
  if ! PATH="$(dirname "$node_bin"):$PATH" "$node_bin" node_modules/vitest/vitest.mjs run; then
    failed+=("$version")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "test-node-versions: failed on Node ${failed[*]}" >&2
  exit 1
fi
