# Shared by the resumable recipes (train-long.sh, train-two.sh): source it after setting TESSERA.
# MIX_LONG: the longer recipe's last mixture (what its decay and recover stages, and the two-code long
# stage, train on).
MIX_LONG='{"caption":2,"vqa":2,"ocr":1,"t2i":6,"edit":5,"chain":1,"compound":1,"fact":0.5,"fact_t2i":0.5,"imagine":1,"emoji_caption":0.15,"emoji_edit":0.15,"letters_t2i":1,"letters_ocr":1,"plan":1,"ask":1}'

# finished DIR: the run's checkpoint has reached its planned steps
finished() {
  [ -f "$1/checkpoint/state.json" ] &&
    node -e 'const s=require(process.argv[1]);process.exit(s.step>=s.plannedSteps?0:1)' "$(realpath "$1/checkpoint/state.json")"
}
# stage DIR ARGS...: skip if finished, resume if started, else start with ARGS (--force: a stage stopped
# before its first checkpoint left only a metrics.jsonl, with nothing to resume from)
stage() {
  local dir=$1
  shift
  if finished "$dir"; then echo "$dir: finished, skipped"
  elif [ -f "$dir/checkpoint/state.json" ]; then $TESSERA train --resume "$dir"
  else $TESSERA train "$@" --out "$dir" --force; fi
}
