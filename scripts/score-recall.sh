#!/usr/bin/env bash
# Scores the recall set (tests/recall): builds the test binary, generates provider tokens from
# tests/recall/specs/*.tsv in Python, YAML, JSON, .env and shell contexts, scans them with the
# real `keyward` binary, and prints recall per area and per rule, every miss, and the negatives
# that were flagged (also when the bars are met). Exits non-zero when a bar is missed:
# recall < 98 %, a spec'd rule never found, > 1 % of negatives flagged, a bad spec line, or a
# provider rule without a spec.
# Usage: scripts/score-recall.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
KEYWARD_RECALL_REPORT=1 cargo test --test integration "$@" recall:: -- --nocapture --test-threads 1
