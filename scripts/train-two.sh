#!/usr/bin/env bash
# The two-code recipe (docs/model.md, "Two codes a patch in the joint model"), one command, resumable: run it
# again after an interruption and each stage continues exactly from its last checkpoint (tessera train
# --resume); a stage that has finished is skipped. Every image is written two codes a patch (its shape,
# then its colours: model/two-code.ts), so a held-out colour-shape pair is two trained tokens. Stages:
#   1. quick: the 28-minute default run on two codes a patch with KEEP (the quick two-code recipe; 24,623
#      steps, 206k items on the second machine's 2 cores), a checkpoint kept every 2,000 steps;
#   2. long: STEPS_LONG (52,182: what 70 minutes gave) more steps from it on a fresh item stream (seed 2), peak lr 5e-4, on the longer
#      recipe's last mixture (MIX_LONG: the letter-string sign tasks, plans and questions in other
#      phrasings added), a checkpoint kept every 15,000 steps (the scaling table);
#   3. signs: STEPS_SIGNS (19,047: what 20 minutes gave) more steps from it (seed 3, peak lr 3e-4) on MIX_LONG
#      with the letter-string sign tasks weighed up (letters_t2i 4, letters_ocr 2, ocr 2): what moved sign
#      words from 0.83 to 0.98 and held-out words from 0.56 to 0.98;
#   then the model folder is exported to OUT/model.
#   bash scripts/train-two.sh [OUT]     (default runs/two-recipe; ~2 h on 2 free cores of the second machine)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/two-recipe}
TESSERA=${TESSERA:-node dist/src/cli/index.js}   # (overridable, e.g. to dry-run: TESSERA=echo)
STEPS_LONG=${STEPS_LONG:-52182}
STEPS_SIGNS=${STEPS_SIGNS:-19047}
[ -f dist/src/cli/index.js ] || npm run build

# shellcheck source=scripts/stages.sh
source scripts/stages.sh   # MIX_LONG, finished, stage
MIX_SIGNS=${MIX_LONG/\"ocr\":1/\"ocr\":2}
MIX_SIGNS=${MIX_SIGNS/\"letters_t2i\":1,\"letters_ocr\":1/\"letters_t2i\":4,\"letters_ocr\":2}

stage "$OUT/quick" --config default --minutes 28 --set twoCodes=1 --set keepCode=1 --keep-checkpoints 2000
stage "$OUT/long" --init "$OUT/quick/checkpoint" --steps "$STEPS_LONG" --set lr=0.0005 --set warmup=20 --set evalN=0 \
  --set seed=2 --set "mixture=$MIX_LONG" --keep-checkpoints 15000
stage "$OUT/signs" --init "$OUT/long/checkpoint" --steps "$STEPS_SIGNS" --set lr=0.0003 --set warmup=20 --set evalN=0 \
  --set seed=3 --set "mixture=$MIX_SIGNS"
$TESSERA export "$OUT/signs/checkpoint" "$OUT/model"
echo "model: $OUT/model (tessera eval --checkpoint $OUT/model)"
