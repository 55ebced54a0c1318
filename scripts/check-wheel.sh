#!/usr/bin/env bash
# Builds the wheel with maturin (pyproject.toml), installs it into a fresh virtual environment
# and runs both commands from there, the way `pip install keyward-cli` users get them; then
# runs the no-Rust pre-commit hook (a `repo: local` python hook that installs the wheel by
# version) against a throwaway repository, with cargo taken off PATH.
#
# usage: scripts/check-wheel.sh TOOLS_VENV   (a venv holding maturin and pre-commit)
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${1:?usage: scripts/check-wheel.sh TOOLS_VENV}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
dist=$work/dist
"$tools/bin/maturin" build --release --locked --out "$dist" >"$work/maturin.log" 2>&1 ||
  { cat "$work/maturin.log"; exit 1; }
wheel=$(ls "$dist"/keyward_cli-"$version"-*.whl) # the version comes from Cargo.toml
echo "built $(basename "$wheel")"

python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-index "$wheel"
export PATH="$work/venv/bin:$PATH"
[ "$(command -v keyward)" = "$work/venv/bin/keyward" ] || { echo "keyward is not on PATH from the venv"; exit 1; }
[ "$(command -v keyward-run)" = "$work/venv/bin/keyward-run" ] || { echo "keyward-run is not on PATH from the venv"; exit 1; }
[ "$(keyward --version)" = "keyward $version" ] || { echo "keyward --version: $(keyward --version)"; exit 1; }

# the bundled sample project has findings: exit 1, and a JSON line per finding
code=0
keyward scan samples/python-app --format jsonl -o "$work/sample.jsonl" || code=$?
[ "$code" = 1 ] || { echo "keyward scan samples/python-app exited $code, expected 1"; exit 1; }
[ -s "$work/sample.jsonl" ] || { echo "keyward scan samples/python-app reported nothing"; exit 1; }
echo "wheel keyward: scan samples/python-app exit 1, $(wc -l <"$work/sample.jsonl") findings"

# keyward-run loads an env file and execs the program with its variables
printf 'KW_WHEEL_PROBE="from the env file"\n' >"$work/app.env"
chmod 600 "$work/app.env"
got=$(cd "$work" && keyward-run -e app.env -- python -c 'import os; print(os.environ["KW_WHEEL_PROBE"])')
[ "$got" = "from the env file" ] || { echo "keyward-run gave the program: $got"; exit 1; }
echo "wheel keyward-run: the program saw KW_WHEEL_PROBE from the env file"

# the Action's install step (action.yml), as the runner runs it, with the wheel from DIST in
# place of PyPI: at a release tag, at a branch (the version of Cargo.toml), and a bad input
"$tools/bin/python" - action.yml >"$work/install.sh" <<'PY'
import sys, yaml
steps = yaml.safe_load(open(sys.argv[1]))["runs"]["steps"]
print(next(s for s in steps if s["name"] == "Install keyward")["run"])
PY
no_rust=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e cargo -e rustup -e "$work/venv" | paste -sd: -)
install() { # REF INPUT
  rm -rf "$work/runner" && mkdir "$work/runner"
  env PATH="$no_rust" RUNNER_TEMP="$work/runner" GITHUB_ACTION_PATH="$PWD" GITHUB_ACTION_REF="$1" \
    KW_VERSION="$2" PIP_NO_INDEX=1 PIP_FIND_LINKS="$dist" \
    bash --noprofile --norc -eo pipefail "$work/install.sh"
}
for ref in "v$version" main; do
  out=$(install "$ref" "")
  [ "$("$work/runner/keyward/bin/keyward" --version)" = "keyward $version" ] || { echo "action install at $ref: $out"; exit 1; }
done
code=0
install main '0.1; curl x' >"$work/bad.txt" || code=$?
if [ "$code" != 2 ] || ! grep -q "is not a version" "$work/bad.txt"; then
  echo "action install with a bad version: exit $code"; cat "$work/bad.txt"; exit 1
fi
echo "action.yml install step: keyward-cli==$version from the wheel at v$version and at main; a bad version input exits 2"

# the org sweep's Kubernetes script (examples/org-sweep/k8s/configmap.yaml) for one index,
# twice, against a repository built here: the second run reports only the new commit
sweep=$work/sweep
mkdir -p "$sweep/config" "$sweep/data" "$sweep/tmp"
"$tools/bin/python" - examples/org-sweep/k8s/configmap.yaml "$sweep/config" <<'PY'
import pathlib, sys, yaml
data = yaml.safe_load(open(sys.argv[1]))["data"]
pathlib.Path(sys.argv[2], "sweep.sh").write_text(data["sweep.sh"])
PY
git init -q -b main "$sweep/origin"
printf 'TOKEN = "ghp_%s"\n' "$(printf 'k8sSweep%.0s' 1 2 3 4 5 | head -c 36)" >"$sweep/origin/one.py"
commit() { git -C "$sweep/origin" add -A && git -C "$sweep/origin" -c user.name=t -c user.email=t@example.test commit -q -m "$1"; }
commit one
printf 'unused\nfile://%s\n' "$sweep/origin" >"$sweep/config/repositories.txt"
run_index() {
  env PATH="$no_rust" SWEEP_DIR="$sweep/config" DATA_DIR="$sweep/data" TMPDIR="$sweep/tmp" \
    JOB_COMPLETION_INDEX=1 KEYWARD_VERSION="$version" PIP_NO_INDEX=1 PIP_FIND_LINKS="$dist" \
    sh "$sweep/config/sweep.sh"
}
run_index
report=$(ls "$sweep"/data/results/*.jsonl)
[ "$(wc -l <"$report")" = 1 ] || { echo "sweep: first run"; cat "$report"; exit 1; }
printf 'SECRET = "ghp_%s"\n' "$(printf 'k8sAgain%.0s' 1 2 3 4 5 | head -c 36)" >"$sweep/origin/two.py"
commit two
run_index
if ! grep -q '"path":"two.py"' "$report" || [ "$(wc -l <"$report")" != 1 ]; then
  echo "sweep: second run"; cat "$report"; exit 1
fi
echo "org sweep (k8s script): first run 1 finding, second run only the new commit's"

scripts/check-precommit-hook.sh "$tools" "$dist" "$version"
