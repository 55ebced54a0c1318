#!/usr/bin/env bash
# Lints what GitHub and pre-commit will run: every workflow under .github/workflows/ and
# examples/ (actionlint, zizmor offline), action.yml (zizmor, and actionlint through the
# example workflow pointed at the local action, which checks the inputs it passes), the
# pre-commit hook manifest (pre-commit validate-manifest), and the Kubernetes manifests of
# examples/ (kubernetes-validate, offline, with the schemas its package ships).
#
# usage: scripts/check-workflows.sh TOOLS_VENV
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${1:?usage: scripts/check-workflows.sh TOOLS_VENV}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

workflows=()
while IFS= read -r f; do workflows+=("$f"); done < <(
  { find .github/workflows -name '*.y*ml' 2>/dev/null; find examples -name '*.y*ml'; } |
    sort | xargs grep -l '^jobs:'
)
echo "workflows: ${workflows[*]}"
"$tools/bin/actionlint" "${workflows[@]}"

# actionlint checks an action's metadata where a workflow uses it as a local action
mkdir -p "$work/repo/.github/workflows"
cp action.yml "$work/repo/"
sed 's|uses: OWNER/keyward@[^ ]*|uses: ./|' examples/github-workflow.yml >"$work/repo/.github/workflows/uses-local.yml"
grep -q 'uses: \./$' "$work/repo/.github/workflows/uses-local.yml" || { echo "examples/github-workflow.yml no longer uses OWNER/keyward@..."; exit 1; }
git init -q "$work/repo"
(cd "$work/repo" && "$tools/bin/actionlint" .github/workflows/uses-local.yml)

"$tools/bin/zizmor" --offline --config .ci/zizmor.yml --no-progress action.yml "${workflows[@]}"

"$tools/bin/pre-commit" validate-manifest .pre-commit-hooks.yaml

manifests=()
while IFS= read -r f; do manifests+=("$f"); done < <(
  find examples -name '*.y*ml' | sort | xargs grep -l '^apiVersion:' || true
)
if [ "${#manifests[@]}" -gt 0 ]; then
  echo "kubernetes manifests: ${manifests[*]}"
  "$tools/bin/kubernetes-validate" --strict "${manifests[@]}"
fi
echo "workflows, action.yml, hook manifest and kubernetes manifests: no findings"
