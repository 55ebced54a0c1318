#!/usr/bin/env bash
# Runs the README's no-Rust pre-commit snippet (the yaml block that installs keyward-cli by
# version) with pre-commit in a throwaway repository: a commit adding a token is refused, a
# clean one passes. cargo and rustup are taken off PATH, so nothing can compile; the wheel
# comes from DIST (PIP_FIND_LINKS), as it would come from PyPI after a release.
#
# usage: scripts/check-precommit-hook.sh TOOLS_VENV DIST VERSION
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${1:?TOOLS_VENV}
dist=$(cd "${2:?DIST}" && pwd)
version=${3:?VERSION}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the yaml block of the README that pins keyward-cli, with the version the wheel has
awk '/^```yaml/{block=""; inside=1; next} /^```/{if (inside && block ~ /keyward-cli==/) {printf "%s", block; exit} inside=0; next} inside{block = block $0 "\n"}' README.md >"$work/config.yaml"
grep -q "keyward-cli==$version" "$work/config.yaml" ||
  { echo "README: the no-Rust pre-commit snippet does not pin keyward-cli==$version"; cat "$work/config.yaml"; exit 1; }

repo=$work/repo
git init -q "$repo"
cp "$work/config.yaml" "$repo/.pre-commit-config.yaml"
git -C "$repo" add .pre-commit-config.yaml
no_rust=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e cargo -e rustup | paste -sd: -)
run() {
  (cd "$repo" && env PATH="$no_rust" PIP_FIND_LINKS="$dist" PRE_COMMIT_HOME="$work/cache" \
    "$tools/bin/pre-commit" run --hook-stage pre-commit)
}
! (PATH="$no_rust" command -v cargo) >/dev/null || { echo "cargo is still on PATH"; exit 1; }

# A token in GitHub's format: 30 random characters and the base62 CRC-32 of them (keyward
# drops a ghp_ value whose checksum fails, as GitHub's documentation example does).
token=ghp_$(python3 -c '
import random, string, zlib
r = random.Random(7)
body = "".join(r.choice(string.ascii_letters + string.digits) for _ in range(30))
alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
n, check = zlib.crc32(body.encode()), ""
for _ in range(6):
    n, d = divmod(n, 62)
    check = alphabet[d] + check
print(body + check)')
printf 'TOKEN = "%s"\n' "$token" >"$repo/settings.py"
git -C "$repo" add settings.py
code=0
run >"$work/out.txt" 2>&1 || code=$?
if [ "$code" != 1 ] || ! grep -q github-pat "$work/out.txt"; then
  echo "pre-commit with a staged token: exit $code, expected 1 and a github-pat finding"
  cat "$work/out.txt"
  exit 1
fi
if grep -q "$token" "$work/out.txt"; then echo "the hook printed the token"; exit 1; fi

printf 'TOKEN = os.environ["TOKEN"]\n' >"$repo/settings.py"
git -C "$repo" add settings.py
run >"$work/out.txt" 2>&1 || { echo "pre-commit with a clean change failed"; cat "$work/out.txt"; exit 1; }
echo "pre-commit (language: python, keyward-cli==$version, no cargo on PATH): refused a staged token, passed a clean change"
