#!/bin/sh
# Builds one fuzz target with libFuzzer and runs it on its seed corpus.
#
#   Tests/Fuzz/run.sh NAME [SECONDS]      e.g.  Tests/Fuzz/run.sh http1 180
#
# NAME selects the product wharf-fuzz-NAME and the folder Tests/Fuzz/<NAME in upper case>
# (http1 -> Tests/Fuzz/HTTP1, yaml -> Tests/Fuzz/YAML). Seeds come from that folder's
# corpus/; new interesting inputs go to .build-fuzz/corpus-NAME (the seed folder stays
# small and reviewed); crashes are written as .build-fuzz/crash-NAME-*. Replay a crash with
# the normal build: swift build --product wharf-fuzz-NAME && .build/debug/wharf-fuzz-NAME FILE
set -eu
NAME=${1:?usage: Tests/Fuzz/run.sh NAME [SECONDS]}
SECONDS_TO_RUN=${2:-180}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR="$ROOT/Tests/Fuzz/$(echo "$NAME" | tr 'a-z' 'A-Z')"
SCRATCH="$ROOT/.build-fuzz"
[ -d "$DIR" ] || { echo "no fuzz target folder $DIR" >&2; exit 2; }

cd "$ROOT"
# Swift's own crash handler would run before ASan's and trip it; libFuzzer needs ASan's.
export SWIFT_BACKTRACE=enable=no
# Process-lifetime globals are not leaks (see lsan.supp).
export LSAN_OPTIONS="suppressions=$ROOT/Tests/Fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# SKIP_BUILD=1: the binary is already built (smoke.sh builds every target first).
[ -n "${SKIP_BUILD:-}" ] || swift build --scratch-path "$SCRATCH" --product "wharf-fuzz-$NAME" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING

BIN="$SCRATCH/debug/wharf-fuzz-$NAME"
WORK="$SCRATCH/corpus-$NAME"
mkdir -p "$WORK"
SEEDS=""
[ -d "$DIR/corpus" ] && SEEDS="$DIR/corpus"
# One worker: the machine is shared.
exec "$BIN" "$WORK" $SEEDS -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$SCRATCH/crash-$NAME-" -print_final_stats=1
