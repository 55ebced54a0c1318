#!/usr/bin/env bash
# What `--known-secrets` adds to `keyward history`: times the history scan of REPO without and
# with an env file of N generated values (random tokens of 12-64 characters, a few URLs with
# passwords, a multi-line key), side by side in one hyperfine run, and prints the ratio.
#
#   usage: scripts/bench-known.sh REPO [N] [RUNS]      REPO: a clone or a bare repository
#
# Needs hyperfine (apt-get install -y hyperfine). The values are generated into a temporary
# directory and removed afterwards.
set -euo pipefail

repo=$(cd "${1:?usage: bench-known.sh REPO [N] [RUNS]}" && pwd)
count=${2:-50}
runs=${3:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
keyward=${KEYWARD:-$root/target/release/keyward}
[ -x "$keyward" ] || cargo build --release --manifest-path "$root/Cargo.toml"
command -v hyperfine >/dev/null || { echo "missing hyperfine" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$count" > "$tmp/known.env" <<'PY'
import base64, secrets, string, sys
n = int(sys.argv[1])
alphabet = string.ascii_letters + string.digits
for i in range(n):
    if i % 10 == 3:
        pw = "".join(secrets.choice(alphabet) for _ in range(16))
        print(f"DATABASE_URL_{i}=postgres://app:{pw}@db{i}.internal:5432/app")
    elif i % 25 == 7:
        body = base64.b64encode(secrets.token_bytes(96)).decode()
        print(f'SIGNING_KEY_{i}="-----BEGIN PRIVATE KEY-----\\n{body[:64]}\\n{body[64:]}\\n-----END PRIVATE KEY-----"')
    else:
        length = 12 + secrets.randbelow(53)
        print(f"SERVICE_{i}_TOKEN=" + "".join(secrets.choice(alphabet) for _ in range(length)))
PY

hyperfine -i --warmup 1 --runs "$runs" --export-json "$tmp/h.json" \
  -n history "$keyward history $repo --format json -o $tmp/a.json -q" \
  -n "history --known-secrets ($count values)" \
  "$keyward history $repo --format json -o $tmp/b.json -q --known-secrets $tmp/known.env"

python3 - "$tmp/h.json" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))["results"]
a, b = (statistics.median(x["times"]) for x in r)
print(f"median without {a:.3f} s, with {b:.3f} s: {100 * (b / a - 1):+.1f}%")
PY

# keyward-run --check-history on the same repository and values: the first start (no cache:
# the whole history is scanned), a restart (cache reused), and no check at all.
run=$(dirname "$keyward")/keyward-run
gitdir=$(git -C "$repo" rev-parse --absolute-git-dir)
chmod 600 "$tmp/known.env"
hyperfine -N --warmup 1 --runs "$runs" \
  -n "keyward-run (no check)" "$run -e $tmp/known.env -- true" \
  -n "keyward-run --check-history (restart, cached)" "$run -e $tmp/known.env --check-history $repo -- true"
hyperfine --runs "$runs" --prepare "rm -rf $gitdir/keyward" \
  -n "keyward-run --check-history (first start)" "$run -e $tmp/known.env --check-history $repo -- true"
rm -rf "$gitdir/keyward"
