#!/usr/bin/env bash
# The two-code recipe (docs/model.md, "Two codes a patch in the joint model"), one command, resumable: run it
# again after an interruption and each stage continues exactly from its last checkpoint (tessera train
# --resume); a stage that has finished is skipped. Every image is written two codes a patch (its shape,
# then its colours: model/two-code.ts), so a held-out colour-shape pair is two trained tokens. Stages:
#   1. quick: the 28-minute default run on two codes a patch with KEEP (the quick two-code recipe; 24,623
#      steps, 206k items on the second machine's 2 cores), a checkpoint kept every 2,000 steps;
#   2. long: STEPS_LONG more steps from it on a fresh item stream (seed 2), peak lr 5e-4, on the longer
#      recipe's last mixture (MIX_LONG: the letter-string sign tasks, plans and questions in other
#      phrasings added), a checkpoint kept every 15,000 steps (the scaling table);
#   then the model folder is exported to OUT/model.
#   bash scripts/train-two.sh [OUT]     (default runs/two-recipe; ~1 h 40 min on 2 free cores of the second
#   machine)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/two-recipe}
TESSERA=${TESSERA:-node dist/src/cli/index.js}   # (overridable, e.g. to dry-run: TESSERA=echo)
STEPS_LONG=${STEPS_LONG:-60000}
MIX_LONG='{"caption":2,"vqa":2,"ocr":1,"t2i":6,"edit":5,"chain":1,"compound":1,"fact":0.5,"fact_t2i":0.5,"imagine":1,"emoji_caption":0.15,"emoji_edit":0.15,"letters_t2i":1,"letters_ocr":1,"plan":1,"ask":1}'
[ -f dist/src/cli/index.js ] || npm run build

# finished DIR: the run's checkpoint has reached its planned steps
finished() {
  [ -f "$1/checkpoint/state.json" ] &&
    node -e 'const s=require(process.argv[1]);process.exit(s.step>=s.plannedSteps?0:1)' "$(realpath "$1/checkpoint/state.json")"
}
# stage DIR ARGS...: skip if finished, resume if started, else start with ARGS
stage() {
  local dir=$1
  shift
  if finished "$dir"; then echo "$dir: finished, skipped"
  elif [ -f "$dir/checkpoint/state.json" ]; then $TESSERA train --resume "$dir"
  else $TESSERA train "$@" --out "$dir" --force; fi
}

stage "$OUT/quick" --config default --minutes 28 --set twoCodes=1 --set keepCode=1 --keep-checkpoints 2000
stage "$OUT/long" --init "$OUT/quick/checkpoint" --steps "$STEPS_LONG" --set lr=0.0005 --set warmup=20 --set evalN=0 \
  --set seed=2 --set "mixture=$MIX_LONG" --keep-checkpoints 15000
$TESSERA export "$OUT/long/checkpoint" "$OUT/model"
echo "model: $OUT/model (tessera eval --checkpoint $OUT/model)"
