#!/usr/bin/env bash
# Benchmarks keyward-run side by side in one run (a script, not a timed test):
#   1. start-up: `keyward-run -- true` against plain `true` (budget: at most 2 ms a launch),
#      with python-dotenv's `dotenv run` and `dotenvx run` beside it when they are installed;
#   2. --mask throughput: MB/s of program output through the redactor (budget: 300 MB/s).
#
# Installs nothing. What it uses, and how to get it:
#   hyperfine                 apt-get install hyperfine
#   dotenv run (optional)     pip install 'python-dotenv[cli]'
#   dotenvx run (optional)    npm i -g @dotenvx/dotenvx
#
# Usage: scripts/bench-run.sh [MASK_MB]     (MASK_MB: size of the masked output, default 512)
# Env:   KEYWARD_RUN=path/to/keyward-run    (default: builds target/release/keyward-run)
set -euo pipefail

mask_mb=${1:-512}
root=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v hyperfine >/dev/null; then
    echo "hyperfine is not installed: apt-get install hyperfine" >&2
    exit 2
fi
if [[ -z ${KEYWARD_RUN:-} ]]; then
    cargo build --quiet --release --bin keyward-run --manifest-path "$root/Cargo.toml"
    KEYWARD_RUN="$root/target/release/keyward-run"
fi
true_bin=$(command -v true)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A realistic .env: 24 variables, 8 of them secrets, one quoted multi-line value.
{
    for i in $(seq 1 16); do echo "SETTING_$i=value-number-$i"; done
    for i in $(seq 1 7); do echo "SERVICE_${i}_API_KEY=sk_live_$(printf '%032d' "$i")"; done
    echo 'DB_PASSWORD="correct horse battery staple"'
    echo 'TLS_NOTE="first line'
    echo 'second line"'
} > .env
chmod 600 .env

echo "== start-up: one launch of \`true\` (hyperfine -N, .env with 25 variables)"
commands=("$true_bin" "$KEYWARD_RUN -- $true_bin" "$KEYWARD_RUN --mask -- $true_bin")
if command -v dotenv >/dev/null; then
    commands+=("dotenv run -- $true_bin")
else
    echo "   (dotenv run not installed: pip install 'python-dotenv[cli]')"
fi
if command -v dotenvx >/dev/null; then
    commands+=("dotenvx run --quiet -- $true_bin")
else
    echo "   (dotenvx not installed: npm i -g @dotenvx/dotenvx)"
fi
hyperfine -N --warmup 20 --min-runs 200 --export-csv startup.csv "${commands[@]}"
# Medians: a busy machine adds outliers that move the mean more than the launcher does.
awk -F, 'NR == 2 { base = $4 } NR > 1 {
    printf "   %-56s median %7.3f ms  mean %7.3f ms  overhead %+7.3f ms  (%.2fx plain true)\n",
        $1, $4 * 1000, $2 * 1000, ($4 - base) * 1000, $4 / base
}' startup.csv

echo
echo "== --mask throughput: ${mask_mb} MB of log lines, some holding secrets"
python3 - "$mask_mb" <<'PY'
import sys
size = int(sys.argv[1]) << 20
line = (b"2024-05-01T12:00:00.000Z INFO  app.request method=GET path=/api/v1/items/12345 "
        b"status=200 bytes=5123 user=alice@example.com took=12.5ms\n")
leak = b"2024-05-01T12:00:00.000Z DEBUG app.config key=sk_live_00000000000000000000000000000003\n"
block = line * 999 + leak
with open("app.log", "wb") as out:
    written = 0
    while written < size:
        out.write(block)
        written += len(block)
PY
bytes=$(stat -c %s app.log)
cat app.log > /dev/null  # into the page cache
hyperfine --warmup 2 --runs 10 --export-csv mask.csv \
    "cat app.log" \
    "cat app.log | cat" \
    "$KEYWARD_RUN --mask -- cat app.log"
awk -F, -v bytes="$bytes" 'NR > 1 {
    printf "   %-56s median %7.1f ms  %6.0f MB/s (mean %6.0f MB/s)\n", $1, $4 * 1000, bytes / $4 / 1e6, bytes / $2 / 1e6
}' mask.csv
masked=$("$KEYWARD_RUN" --mask -- cat app.log | grep -c 'key=\*\*\*\*' || true)
echo "   secrets masked in the output: $masked lines"
