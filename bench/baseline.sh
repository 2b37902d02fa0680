#!/bin/sh
# Builds another commit of Herd for `npm run bench -- --baseline DIR`, so a
# change is measured before and after in the same run on the same machine.
#
#   bench/baseline.sh <commit> [dir]      (dir defaults to /tmp/herd-baseline-<commit>)
#
# Checks the commit out as a detached worktree in DIR (git worktree add
# --detach), links this checkout's node_modules into it and runs its own
# `npm run build:test`. Prints the directory to pass as --baseline; the bench
# runs DIR/build/bench/herd-server-child.js (that commit's server) and
# DIR/build/src/client (that commit's client). Remove it afterwards with
# `git worktree remove --force DIR`.
#
# Issue 17's baseline is 3000212, the commit before its first change
# (4360795: the server's observers read a ServerView; then 0552c94, the
# request pipeline as stage objects).
set -eu
if [ $# -lt 1 ]; then
  echo "usage: bench/baseline.sh <commit> [dir]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$here" rev-parse --short "$1^{commit}")
dir=${2:-/tmp/herd-baseline-$commit}
modules=$(readlink -f "$here/node_modules")
if [ -d "$dir/build/bench" ] && [ "$(git -C "$dir" rev-parse --short HEAD 2>/dev/null)" = "$commit" ]; then
  echo "already built: $dir" >&2
else
  if [ ! -e "$dir" ]; then
    git -C "$here" worktree add --detach "$dir" "$commit" >&2
  fi
  # The baseline's own dependencies would be the same packages; link ours instead of installing.
  [ -e "$dir/node_modules" ] || ln -s "$modules" "$dir/node_modules"
  # tsc emits JavaScript despite type errors: an old commit whose tests or
  # other benches no longer type-check (3000212's merge left two such errors,
  # fixed in the next commit) still serves if its server and client were built.
  if ! (cd "$dir" && npm run --silent build:test >&2); then
    if [ -f "$dir/build/bench/herd-server-child.js" ] && [ -f "$dir/build/src/client/index.js" ]; then
      echo "baseline.sh: $commit has type errors (above); its server and client were emitted, going on" >&2
    else
      echo "baseline.sh: $commit did not build" >&2
      exit 1
    fi
  fi
fi
echo "$dir"
