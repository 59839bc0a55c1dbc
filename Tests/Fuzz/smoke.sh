#!/bin/sh
# CI's fuzz smoke: every target under libFuzzer + ASan for SECONDS (default 30) on its seed
# corpus, two at a time (the machine has two cores). The seeds include every crash found so
# far, so a regression fails here first. Exits non-zero when any target finds a crash.
#
#   Tests/Fuzz/smoke.sh [SECONDS]
set -eu
SECONDS_EACH=${1:-30}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
TARGETS=$(ls -d Tests/Fuzz/*/corpus | sed 's#Tests/Fuzz/\([A-Z0-9]*\)/corpus#\1#' | tr 'A-Z' 'a-z')
# Build every target first, one after another (each reuses the modules the previous built).
for t in $TARGETS; do
  swift build --scratch-path .build-fuzz --product "wharf-fuzz-$t" \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING >/dev/null
done
mkdir -p .build-fuzz/smoke
echo "$TARGETS" | tr ' ' '\n' | xargs -P 2 -I{} sh -c \
  'SKIP_BUILD=1 Tests/Fuzz/run.sh {} '"$SECONDS_EACH"' > .build-fuzz/smoke/{}.log 2>&1 \
   && echo "fuzz {}: $(grep -o "stat::number_of_executed_units: *[0-9]*" .build-fuzz/smoke/{}.log | grep -o "[0-9]*$") runs, no crash" \
   || { echo "fuzz {}: FAILED"; tail -40 .build-fuzz/smoke/{}.log; exit 1; }'
