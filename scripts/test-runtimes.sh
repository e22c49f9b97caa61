#!/usr/bin/env bash
# Runs the whole test suite under Bun and under Deno, which provide node:net, node:tls,
# node:dgram and node:dns too. Each comes from its npm package (bun@1, deno@2), which ships
# the binary; they are installed once into a cache directory and reused. Run it after
# `npm test` (or `npm run build`): the CLI and package tests use dist/.
#
#   bash scripts/test-runtimes.sh            # Bun, then Deno
#   bash scripts/test-runtimes.sh deno       # one of them
#   BUN=/path/to/bun DENO=/path/to/deno ...  # binaries you already have
#   SOCKIT_RUNTIMES_CACHE=/tmp/rt ...        # where the binaries go
#                                            # (default ~/.cache/sockit-runtimes)
#
# Vitest itself runs under the runtime (`bun --bun`, `deno run -A`), so do its workers and
# every child a test starts with process.execPath. Tests for a difference a runtime cannot
# even out assert what that runtime does, or skip there with the reason where the capability
# is missing (tests/helpers/runtime.ts; README "Runtimes"). CI (.ci/run) runs both.
# Exits non-zero when a runtime fails; prints each runtime's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
runtimes=${*:-bun deno}
cache=${SOCKIT_RUNTIMES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sockit-runtimes}
[ -f dist/index.js ] || { echo "dist/ is missing: run npm run build first" >&2; exit 2; }

install() { # name -> path of the binary
  local name=$1 dir="$cache/$1"
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
  local major=1
  [ "$name" = deno ] && major=2
  [ -x "$dir/node_modules/.bin/$name" ] ||
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$name@$major" >/dev/null
  readlink -f "$dir/node_modules/.bin/$name"
}

failed=()
for runtime in $runtimes; do
  case $runtime in
    bun)
      bin=${BUN:-$(install bun)}
      echo "== Bun $("$bin" --version)"
      command=("$bin" --bun node_modules/vitest/vitest.mjs run)
      ;;
    deno)
      bin=${DENO:-$(install deno)}
      echo "== $("$bin" --version | head -1)"
      command=("$bin" run -A node_modules/vitest/vitest.mjs run)
      ;;
    *)
      echo "unknown runtime $runtime (bun or deno)" >&2
      exit 2
      ;;
  esac
  if ! "${command[@]}"; then failed+=("$runtime"); fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "test-runtimes: failed on ${failed[*]}" >&2
  exit 1
fi
