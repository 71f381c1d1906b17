#!/usr/bin/env bash
# One backbone ablation on MTD: generate a built-in backbone variant from JSON option overrides, evaluate it,
# print one summary line. Outputs under eval-out/ (gitignored). Build first (npm run build).
#   DATASET=/path/to/mtd bench/eval/ablate.sh <name> '<json overrides>' [eval args, e.g. --coreset 0.01 --image-only]
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${DATASET:?set DATASET to the MTD folder}"
name=$1; opts=$2; shift 2
mkdir -p eval-out/bb eval-out/runs
echo "$opts" > "eval-out/bb/$name.json"
node dist/scripts/generate-default-backbone.js --out "eval-out/bb/$name" --options "eval-out/bb/$name.json" --name "$name" >&2
node dist/bench/eval/index.js --dataset "$DATASET" --layout mtd --out "eval-out/runs/$name" \
  --manifest "eval-out/bb/$name/backbone.json" "$@" 2> "eval-out/runs/$name.err" | tail -1 > "eval-out/runs/$name.json"
node -e "const d=require('./eval-out/runs/$name.json');console.log('$name',d.train_images,d.image_auroc,d.pixel_auroc,d.aupro_30,d.fit_s,d.ms_per_image,JSON.stringify(d.per_type_auroc))"
