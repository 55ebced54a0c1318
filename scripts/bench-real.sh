#!/usr/bin/env bash
# Scans local checkouts of real Python repositories, prints findings per 100k lines by rule,
# and checks every finding against the reviewed labels in tests/real/labels.tsv.
#
# Usage: scripts/bench-real.sh [--bin PATH] [--labels FILE] DIR...
#   DIR is a clone or an unpacked tree of a repository listed in tests/real/pins.tsv; its name
#   is the directory's base name, or NAME=DIR. A git clone must be at the pinned commit; an
#   unpacked tree (no .git) is taken as the pinned commit.
# Fails (exit 1) when a finding labelled `false` comes back, when a finding has no label, or
# when a clone is at another commit. Prints secret precision ((live + fixture) / all secret
# findings) and the hygiene worth-acting-on rate (live / all hygiene findings), for this run
# and for every labelled finding (the build the labels were first written against).
# Labels: live (a credential, or a hygiene problem worth acting on), fixture (test or docs
# material a reviewer wants to see), false (fixed: must not come back), open (not a secret or
# not actionable, still reported and counted against precision).
# Needs a release build (cargo build --release) and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/target/release/keyward
labels=$here/tests/real/labels.tsv
pins=$here/tests/real/pins.tsv
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --labels) labels=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "usage: scripts/bench-real.sh [--bin PATH] [--labels FILE] DIR..." >&2
  exit 2
fi
if [ ! -x "$bin" ]; then
  echo "no scanner at $bin: run cargo build --release or pass --bin" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

: >"$tmp/runs.tsv"
for arg in "$@"; do
  case $arg in
    *=*) name=${arg%%=*}; dir=${arg#*=} ;;
    *) dir=$arg; name=$(basename "$(cd "$dir" && pwd)") ;;
  esac
  if [ ! -d "$dir" ]; then
    echo "$dir: not a directory" >&2
    exit 2
  fi
  pin=$(awk -F'\t' -v n="$name" '$1 == n { print $3 }' "$pins")
  if [ -z "$pin" ]; then
    echo "$name: not in $pins (add name, url and commit, or pass NAME=DIR)" >&2
    exit 2
  fi
  if git -C "$dir" rev-parse --git-dir >/dev/null 2>&1; then
    head=$(git -C "$dir" rev-parse HEAD)
    if [ "$head" != "$pin" ]; then
      echo "$name: checkout is at $head, labels are for $pin (git -C $dir checkout $pin)" >&2
      exit 1
    fi
  fi
  status=0
  "$bin" scan "$dir" --format json >"$tmp/$name.json" 2>"$tmp/$name.err" || status=$?
  if [ "$status" -gt 1 ]; then
    echo "$name: keyward scan exited $status:" >&2
    head -5 "$tmp/$name.err" >&2
  fi
  printf '%s\t%s\t%s\n' "$name" "$dir" "$tmp/$name.json" >>"$tmp/runs.tsv"
done

"$bin" rules list >"$tmp/rules.txt"
python3 - "$tmp/runs.tsv" "$labels" "$tmp/rules.txt" <<'PY'
import collections, json, os, sys

runs_file, labels_file, rules_file = sys.argv[1:4]
kinds = {}
for row in open(rules_file, encoding="utf-8"):
    parts = row.split()
    if len(parts) >= 2 and parts[1] in ("secret", "hygiene"):
        kinds[parts[0]] = parts[1]
labels = {}
for row in open(labels_file, encoding="utf-8"):
    if row.startswith("#") or not row.strip():
        continue
    repo, fp, rule, at, label, reason = row.rstrip("\n").split("\t", 5)
    path, line = at.rsplit(":", 1)
    labels[(repo, rule, path, int(line))] = (fp, label, reason)


def count_lines(root):
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            try:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            if b"\0" not in data[:8192]:
                total += data.count(b"\n")
    return total


def rates(rows):
    secret = [l for k, l in rows if k == "secret"]
    hygiene = [l for k, l in rows if k == "hygiene"]
    good = sum(l in ("live", "fixture") for l in secret)
    acted = sum(l == "live" for l in hygiene)
    sp = f"{good}/{len(secret)} = {good / len(secret):.1%}" if secret else "n/a"
    hw = f"{acted}/{len(hygiene)} = {acted / len(hygiene):.1%}" if hygiene else "n/a"
    return sp, hw, len(secret) - good


failures, seen_repos = [], set()
by_rule, total_lines, now = collections.Counter(), 0, []
for run in open(runs_file, encoding="utf-8"):
    repo, root, report = run.rstrip("\n").split("\t")
    seen_repos.add(repo)
    total_lines += count_lines(root)
    for f in json.load(open(report, encoding="utf-8"))["findings"]:
        by_rule[(f["kind"], f["rule"])] += 1
        key = (repo, f["rule"], f["path"], f["line"])
        where = f"{repo} {f['rule']} {f['path']}:{f['line']}"
        if key not in labels:
            failures.append(f"unlabelled finding: {where} ({f['fingerprint'][:16]})")
            continue
        fp, label, reason = labels[key]
        if not f["fingerprint"].startswith(fp):
            failures.append(f"fingerprint changed: {where} (label has {fp}); review and relabel")
        if label == "false":
            failures.append(f"false positive came back: {where} ({reason})")
        now.append((f["kind"], label))

print(f"{len(seen_repos)} repositories, {total_lines} lines")
print(f"{'findings per 100k lines':<40}{'count':>7}{'per 100k':>10}")
for (kind, rule), n in sorted(by_rule.items(), key=lambda x: (-x[1], x[0])):
    print(f"  {kind + ':' + rule:<38}{n:>7}{n * 100000 / max(total_lines, 1):>10.2f}")
sp, hw, wrong = rates(now)
print(f"this run:    secret precision {sp}, hygiene worth acting on {hw}, "
      f"secret false positives per 100k lines {wrong * 100000 / max(total_lines, 1):.2f}")
labelled = [
    (kinds.get(rule, "secret"), label)
    for (repo, rule, _, _), (_, label, _) in labels.items()
    if repo in seen_repos
]
sp, hw, _ = rates(labelled)
print(f"all labels:  secret precision {sp}, hygiene worth acting on {hw} "
      f"(every finding ever labelled on these repositories)")
if failures:
    print(f"\n{len(failures)} problem(s):", file=sys.stderr)
    for line in failures:
        print("  " + line, file=sys.stderr)
    sys.exit(1)
PY
