#!/usr/bin/env bash
# The launcher's start-up cost, side by side in one hyperfine run (a script, not a timed test):
# plain `true` against `keyward-run -e .env -- true` with a small .env
#   - outside any git repository,
#   - in an application checkout (a git work tree whose index holds 5 000 files, so the
#     tracked-file check reads a 500 KB index),
# and, when KEYWARD_RUN_BASE names another build (say, the previous release), that build on
# the same two cases. Goal: at most 1 ms over plain `true` (docs/keyward-run.md, "Start-up").
#
# Installs nothing. Needs hyperfine (apt-get install hyperfine) and git.
#
# Usage: scripts/bench-launch.sh
# Env:   KEYWARD_RUN=path/to/keyward-run       (default: builds target/release/keyward-run)
#        KEYWARD_RUN_BASE=path/to/keyward-run  (optional: a build to compare with)
#        FILES=5000                            (entries in the checkout's index)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
files=${FILES:-5000}

for tool in hyperfine git; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is not installed" >&2
        exit 2
    fi
done
if [[ -z ${KEYWARD_RUN:-} ]]; then
    cargo build --quiet --release --bin keyward-run --manifest-path "$root/Cargo.toml"
    KEYWARD_RUN="$root/target/release/keyward-run"
fi
true_bin=$(command -v true)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Six variables, two of them secrets, as an application's .env holds them (the secrets are
# made up here, so that no scanner finds one in this script).
write_env() {
    local key password
    key=$(printf 'k%031d' 7)
    password=$(printf 'pw%010d' 42)
    cat > "$1/.env" <<EOF
DATABASE_URL=postgres://app:$password@db.internal:5432/app
SECRET_KEY=$key
DEBUG=false
REDIS_URL=redis://cache:6379/0
ALLOWED_HOSTS=app.example.com
SENTRY_ENVIRONMENT=production
EOF
    chmod 600 "$1/.env"
}

mkdir "$work/plain"
write_env "$work/plain"

# The checkout: index entries for $files paths (no files on disk are needed to read the
# index), the .env itself untracked, as it should be.
git init -q "$work/app"
blob=$(git -C "$work/app" hash-object -w --stdin </dev/null)
awk -v n="$files" -v blob="$blob" 'BEGIN {
    for (i = 0; i < n; i++) printf "100644 %s\tsrc/pkg%03d/module_%05d.py\n", blob, i % 200, i
}' | git -C "$work/app" update-index --add --index-info
write_env "$work/app"
index_kb=$(( $(stat -c %s "$work/app/.git/index") / 1024 ))

commands=(-n true "$true_bin")
add() { commands+=(-n "$1" "$2"); }
add "keyward-run outside" "$KEYWARD_RUN -e $work/plain/.env -- $true_bin"
add "keyward-run checkout" "$KEYWARD_RUN -e $work/app/.env -- $true_bin"
if [[ -n ${KEYWARD_RUN_BASE:-} ]]; then
    add "base outside" "$KEYWARD_RUN_BASE -e $work/plain/.env -- $true_bin"
    add "base checkout" "$KEYWARD_RUN_BASE -e $work/app/.env -- $true_bin"
fi

echo "== start-up: one launch of \`true\` (hyperfine -N; index: $files files, ${index_kb} KB)"
hyperfine -N --warmup 20 --runs 200 --export-csv "$work/launch.csv" "${commands[@]}"
# Medians: a busy machine adds outliers that move the mean more than the launcher does. (The
# names hold no comma: the CSV is split on commas.)
awk -F, 'NR == 2 { base = $4 } NR > 1 {
    printf "   %-30s median %6.3f ms  mean %6.3f ms  over true %+6.3f ms\n",
        $1, $4 * 1000, $2 * 1000, ($4 - base) * 1000
}' "$work/launch.csv"
