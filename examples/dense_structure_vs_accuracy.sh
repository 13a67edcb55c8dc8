#!/bin/bash
# Does DAG structure relate to accuracy, and does the relation depend on the dataset?
# 64 DAGs of the dense_mnist space (one stage, 5 vertices of width 128, connected blocks:
# 64 of its 98 classes) trained standalone on digits (40 epochs, 3 seeds) and on MNIST
# (5 epochs, full 60k/10k, 1 seed) with 2 worker processes, then analysed and predicted.
# Run from a checkout: DATA=../shared/data examples/dense_structure_vs_accuracy.sh
set -euo pipefail
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/dense_eval}
STORE=$OUT/evals.sqlite
mkdir -p "$OUT"
dagnas evaluate dense_mnist --sample 64 --data digits --train-epochs 40 --batch-size 64 --lr 0.05 \
    --seeds 3 --workers 2 --store "$STORE"
dagnas evaluate dense_mnist --sample 64 --data mnist --data-root "$DATA" --train-epochs 5 \
    --batch-size 128 --lr 0.05 --workers 2 --store "$STORE"
dagnas analyze "$STORE" --by dataset --out "$OUT/report"
for d in digits mnist; do
    dagnas predict fit "$STORE" --filter-dataset "$d" --out "$OUT/predict-$d"
done
