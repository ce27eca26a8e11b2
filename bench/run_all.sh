#!/usr/bin/env bash
# Seed 100k tickets, run W1, then W2 at 10k and 100k (which reseeds). ≈10 minutes.
# Extra arguments go to every script (e.g. --database-url postgres://...).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p bench/results
stamp=$(date +%Y%m%d-%H%M%S)
{
  $PY bench/seed.py --create-db --tickets 100000 "$@"
  $PY bench/w1_create.py "$@"
  $PY bench/w2_list.py "$@"
} 2>&1 | tee "bench/results/run_all_${stamp}.log"
