#!/usr/bin/env bash
# Scores `keyward scan` (and, when present, `keyward history`) on the shared labelled corpus
# and fails below the bars set by the issues: secret recall >= 90%, at most 3 findings on
# hard-negative lines, every hygiene positive found.
# Usage: scripts/score-corpus.sh [CORPUS_DIR] (default ../shared/corpus); needs a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
bin=target/release/keyward
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
"$bin" scan "$corpus/project" --format json >"$tmp/findings.json" || status=$?
if [ "$status" -gt 1 ]; then
  echo "keyward scan failed with exit $status" >&2
  exit 1
fi
# The report goes to a file first: piping it into `head` would kill the scorer with SIGPIPE
# (and fail this script under pipefail) whenever the report is longer than what is shown.
python3 "$corpus/score.py" "$corpus" "$tmp/findings.json" --json "$tmp/score.json" >"$tmp/report.txt"
head -20 "$tmp/report.txt"
python3 - "$tmp/score.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
k = d["per_kind"]
secret = k["secret"]["found"] / k["secret"]["expected"]
hygiene = k.get("hygiene", {"found": 0, "expected": 0})
fp = d["fp_lines"]
print(f"secret recall {secret:.1%}, hygiene {hygiene['found']}/{hygiene['expected']}, "
      f"hard-negative lines hit {fp}")
failures = []
if secret < 0.90:
    failures.append(f"secret recall {secret:.1%} < 90%")
if fp > 3:
    failures.append(f"{fp} findings on hard-negative lines > 3")
if hygiene["found"] < hygiene["expected"]:
    failures.append(f"hygiene {hygiene['found']}/{hygiene['expected']}: every positive must be found")
if failures:
    sys.exit("corpus bar missed: " + "; ".join(failures))
PY
