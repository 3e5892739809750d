#!/usr/bin/env bash
# The longer recipe (docs/model.md, "The longer run"), one command, resumable: run it again after an
# interruption and each stage continues exactly from its last checkpoint (tessera train --resume); a stage
# that has finished is skipped. Stages:
#   1. quick: the 28-minute default run (the quick recipe, what shipped before);
#   2. continue: 8,000 more steps from it, fresh data stream (seed 2), peak lr 5e-4, plus the letter-string
#      sign tasks and the text-only plan task, keeping a checkpoint every 2,000 steps (the scaling table);
#   3. keep: 2,000 more steps with KEEP (keepCode=1), a checkpoint every 1,000;
#   4. more: 2,000 more steps from it (seed 4, the same mixture and lr): what shipped was trained here on
#      the colour-count questions that ask a colour the scene has (the earlier stages had not seen them);
#   5. longer: 16,000 more steps from it (seed 5, the same lr), the mixture plus `ask` (questions in other
#      phrasings), keeping a checkpoint every 4,000 steps (the scaling table);
#   6. longest: 12,000 more steps from it (seed 6, peak lr 3e-4), the same mixture with single edits at 3
#      instead of 2 (a session's turn now sees only the latest image: it is a single edit), keeping a
#      checkpoint every 4,000 steps;
#   7. read: 1,500 more steps from it (seed 7, the same mixture and lr) with codeResidualDrop 0.5: each
#      image code read without its per-code residual row half of the time, as the codes no training image
#      holds (a held-out colour-shape pair's) are always read;
#   8. read-more: 24,000 more steps from it (seed 8, the same mixture, lr and drop), keeping a checkpoint
#      every 6,000 steps (the scaling table);
#   9. low-rate: 12,000 more steps from it (seed 9, the same mixture and drop) at peak lr 1e-4, a
#      checkpoint every 6,000;
#  10. decay: 12,000 more steps from it (seed 10, the same drop) with weight decay 3 instead of 0.05: each
#      step scales the matrices by 1 - 3e-4 at the peak rate, so what the data does not hold up shrinks (what
#      moved held-out colour-shape pairs, and cost edits, plans and captions), on MIX_LONG: captions 2,
#      edits 5, chains, compound, plans and imagine 1, the outputs the decay cost most; and with tile
#      edges (tileEdges=1: each code's features also hold its edges, what moved reading held-out pairs);
#  11. recover: 6,000 more steps from it (seed 11, MIX_LONG, the same drop) with weight decay back at
#      0.05, a checkpoint every 3,000 (what won back edits, plans and captions);
#   then the model folder is exported to OUT/model.
#   bash scripts/train-long.sh [OUT]     (default runs/long-recipe; ~7 h on 2 free cores of the first
#   machine, a 2-core Zen 1, of which the eighth stage is ~2 h; that stage took 46 min on the second,
#   whose cores train ~5x as fast, and stages 9-11 ~70 min there at 2 threads)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/long-recipe}
TESSERA=${TESSERA:-node dist/src/cli/index.js}   # (overridable, e.g. to dry-run: TESSERA=echo)
MIX='{"caption":1,"vqa":2,"ocr":1,"t2i":6,"edit":2,"chain":0.5,"compound":0.5,"fact":0.5,"fact_t2i":0.5,"imagine":0.5,"emoji_caption":0.15,"emoji_edit":0.15,"letters_t2i":1,"letters_ocr":1,"plan":0.5}'
MIX_ASK="${MIX%\}},\"ask\":1}"
MIX_EDIT=${MIX_ASK/\"edit\":2/\"edit\":3}
[ -f dist/src/cli/index.js ] || npm run build

# shellcheck source=scripts/stages.sh
source scripts/stages.sh   # MIX_LONG, finished, stage

stage "$OUT/quick" --config default --minutes 28
stage "$OUT/continue" --init "$OUT/quick/checkpoint" --steps 8000 --set lr=0.0005 --set warmup=20 --set evalN=0 \
  --set seed=2 --set "mixture=$MIX" --keep-checkpoints 2000
stage "$OUT/keep" --init "$OUT/continue/checkpoint" --steps 2000 --set lr=0.0005 --set warmup=20 --set evalN=0 \
  --set seed=3 --set keepCode=1 --set "mixture=$MIX" --keep-checkpoints 1000
stage "$OUT/more" --init "$OUT/keep/checkpoint" --steps 2000 --set lr=0.0005 --set warmup=20 --set evalN=0 \
  --set seed=4 --set "mixture=$MIX"
stage "$OUT/longer" --init "$OUT/more/checkpoint" --steps 16000 --set lr=0.0005 --set warmup=20 --set evalN=0 \
  --set seed=5 --set "mixture=$MIX_ASK" --keep-checkpoints 4000
stage "$OUT/longest" --init "$OUT/longer/checkpoint" --steps 12000 --set lr=0.0003 --set warmup=20 --set evalN=0 \
  --set seed=6 --set "mixture=$MIX_EDIT" --keep-checkpoints 4000
stage "$OUT/read" --init "$OUT/longest/checkpoint" --steps 1500 --set lr=0.0003 --set warmup=20 --set evalN=0 \
  --set seed=7 --set "mixture=$MIX_EDIT" --set codeResidualDrop=0.5
stage "$OUT/read-more" --init "$OUT/read/checkpoint" --steps 24000 --set lr=0.0003 --set warmup=20 --set evalN=0 \
  --set seed=8 --set "mixture=$MIX_EDIT" --set codeResidualDrop=0.5 --keep-checkpoints 6000
stage "$OUT/low-rate" --init "$OUT/read-more/checkpoint" --steps 12000 --set lr=0.0001 --set warmup=20 --set evalN=0 \
  --set seed=9 --set "mixture=$MIX_EDIT" --set codeResidualDrop=0.5 --keep-checkpoints 6000
stage "$OUT/decay" --init "$OUT/low-rate/checkpoint" --steps 12000 --set lr=0.0001 --set warmup=20 --set evalN=0 \
  --set seed=10 --set weightDecay=3 --set tileEdges=1 --set "mixture=$MIX_LONG" --set codeResidualDrop=0.5 --keep-checkpoints 6000
stage "$OUT/recover" --init "$OUT/decay/checkpoint" --steps 6000 --set lr=0.0001 --set warmup=20 --set evalN=0 \
  --set seed=11 --set weightDecay=0.05 --set "mixture=$MIX_LONG" --set codeResidualDrop=0.5 --keep-checkpoints 3000
$TESSERA export "$OUT/recover/checkpoint" "$OUT/model"
echo "model: $OUT/model (tessera eval --checkpoint $OUT/model)"
