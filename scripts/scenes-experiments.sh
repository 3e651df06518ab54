#!/usr/bin/env bash
# The RAFT paper's two diffusion experiments in the scenes world, 3 seeds each (docs/diffusion.md, "The two
# experiments"): text-image alignment on held-out and relation prompts with the fidelity reward and with the learned
# clip-score, and resolution adaptation (the 32 px model at 48 px, fidelity), plus the base model at 32 px on the
# resolution prompts; then the 48 px adapters measured at 32 and 48 px against the base model on the same seeds
# (scripts/eval-scenes.ts --run-dir). Runs JOBS at a time (default 2, one per core). Writes DIR/*.json, DIR/*.log,
# each run's eval images (DIR/<run>-images/: eval-cycle-N.png grids and eval-cycle-N/ PNGs with index.jsonl; --images)
# (default DIR scenes-experiments/) and prints the per-cycle tables.
# Usage: [JOBS=2] bash scripts/scenes-experiments.sh [DIR]
set -euo pipefail
out="${1:-scenes-experiments}"
jobs="${JOBS:-2}"
mkdir -p "$out"
held="a large purple triangle on the left; a small purple triangle at the top; two small purple triangles at the bottom; a red circle left of a red square; a blue square above a blue triangle; a red circle left of a blue square; a green triangle above a yellow circle; a yellow circle above a purple square"
seen="a large red circle on the left; a small blue square at the top; a large green triangle at the bottom; a small yellow circle on the right; two small red circles on the left; three small blue squares at the top; two large green triangles at the bottom; two large orange circles on the right"
base=(--task scenes --lora 4 --prompts-per-cycle 8 --samples-per-prompt 4 --eval-prompts 8 --eval-samples-per-prompt 2 --ddim-steps 10)
common=("${base[@]}" --cycles 4)
# start "$@" in the background once fewer than $jobs are running; its output goes to the log named by the first argument
start() {
  local log="$1"; shift
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n; done
  "$@" > "$log" 2>&1 &
}
for rw in fidelity clip-score; do
  for s in 1 2 3; do start "$out/align-$rw-s$s.log" npx raftlab run "${common[@]}" --reward "$rw" --scene-prompts "$held" --seed "$s" --out "$out/align-$rw-s$s.json" --images "$out/align-$rw-s$s-images"; done
done
for s in 1 2 3; do
  rm -rf "$out/res48-s$s"
  start "$out/res48-s$s.log" npx raftlab run "${common[@]}" --reward fidelity --image-size 48 --scene-prompts "$seen" --seed "$s" --out "$out/res48-s$s.json" --run-dir "$out/res48-s$s" --images "$out/res48-s$s-images"
done
for s in 1 2 3; do start "$out/res32-base-s$s.log" npx raftlab run "${base[@]}" --reward fidelity --cycles 0 --image-size 32 --scene-prompts "$seen" --seed "$s" --out "$out/res32-base-s$s.json"; done
wait
# the adapters trained at 48 px, at 32 and 48 px, and the base model on the same seeds (4 a prompt, DDIM 10, guidance 2)
ev=(node bin/run-ts.mjs scripts/eval-scenes.ts --prompts "$seen" --seeds 4 --ddim-steps 10 --guidance 2)
for px in 32 48; do
  start "$out/eval-base-$px.log" "${ev[@]}" --size "$px"
  for s in 1 2 3; do start "$out/eval-res48-s$s-at-$px.log" "${ev[@]}" --size "$px" --run-dir "$out/res48-s$s"; done
done
wait
for set in align-fidelity align-clip-score res48 res32-base; do echo "== $set"; node bin/run-ts.mjs scripts/runs-summary.ts "$out"/$set-s*.json; done
for px in 32 48; do echo "== fidelity at $px px, base then the 48 px adapters of seeds 1-3"; grep -h "^prompts" "$out/eval-base-$px.log" "$out"/eval-res48-s*-at-$px.log; done
