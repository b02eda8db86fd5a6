#!/usr/bin/env bash
# GPU acceptance of the polyak image, for whoever has a machine with an NVIDIA GPU, Docker and the
# NVIDIA container toolkit. Not yet run by the project (it has no GPU). One command, from the
# repository root:
#
#   deploy/gpu-acceptance.sh                         # builds the GPU jar and image from this checkout
#   deploy/gpu-acceptance.sh --image REF             # or pulls a built image
#
# In a container of the image given one GPU (--gpus device=N, as a task manager pod gets its GPUs),
# it generates the quickstart corpus, trains bert-tiny for --steps steps on the CPU and then on the
# GPU with `polyak train`, runs `polyak bench train --device gpu`, samples the GPU's memory with
# nvidia-smi meanwhile, and compares the GPU run's evaluations with the CPU run's. It ends with a
# block of lines to report back (deploy/README.md, "GPU acceptance"). Exit code 0 when everything
# ran and the metrics agree within the tolerance, 1 otherwise.
#
#   --image REF        use this image (docker pull) instead of building one
#   --gpu N            the GPU to use (default 0)
#   --steps N          bert-tiny training steps (default 300)
#   --tolerance F      largest relative difference of the eval loss, GPU against CPU, at any
#                      evaluation (default 0.02)
#   --work DIR         working folder, mounted at /work in the container (default ./gpu-acceptance)
#   --dry-run          print the commands instead of running them
#   --compare CPU GPU  only compare two `polyak train` logs (the last step, done without Docker)
set -euo pipefail

IMAGE=""
GPU=0
STEPS=300
TOLERANCE=0.02
WORK="$PWD/gpu-acceptance"
DRY_RUN=0
COMPARE=()

usage() {
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --image) IMAGE="$2"; shift 2 ;;
    --gpu) GPU="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --tolerance) TOLERANCE="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    --compare) [ $# -ge 3 ] || usage; COMPARE=("$2" "$3"); shift 3 ;;
    -h|--help) usage ;;
    *) echo "gpu-acceptance: unknown option '$1'" >&2; usage ;;
  esac
done

# The evaluations of a `polyak train` log: "step N: train loss X, eval loss Y, perplexity Z, ..." as
# "N Y Z" lines.
evaluations() {
  sed -n 's/^step \([0-9]*\): train loss [^,]*, eval loss \([^,]*\), [a-z]* \([^,]*\),.*/\1 \2 \3/p' "$1"
}

# Compares the eval loss of two logs at every step both evaluated; prints a table and a verdict line.
compare_runs() {
  local cpu="$1" gpu="$2"
  local joined
  joined=$(join <(evaluations "$cpu" | sort -k1,1) <(evaluations "$gpu" | sort -k1,1) | sort -n -k1,1)
  if [ -z "$joined" ]; then
    echo "metrics: no common evaluation steps in $cpu and $gpu: FAIL"
    return 1
  fi
  echo "$joined" | awk -v tol="$TOLERANCE" '
    BEGIN { printf "%6s  %14s  %14s  %9s\n", "step", "cpu eval loss", "gpu eval loss", "rel diff" }
    {
      # joined: step, cpu eval loss, cpu perplexity, gpu eval loss, gpu perplexity
      d = ($4 - $2) / $2; if (d < 0) d = -d
      printf "%6d  %14.4f  %14.4f  %8.3f %%\n", $1, $2, $4, 100 * d
      if (n == 0 || d > worst) { worst = d; at = $1 }
      n++
    }
    END {
      verdict = (worst <= tol) ? "PASS" : "FAIL"
      printf "metrics: %d evaluations, max relative eval-loss difference %.3f %% (at step %d), tolerance %.3f %%: %s\n",
        n, 100 * worst, at, 100 * tol, verdict
      exit verdict == "PASS" ? 0 : 1
    }'
}

if [ ${#COMPARE[@]} -eq 2 ]; then
  compare_runs "${COMPARE[0]}" "${COMPARE[1]}"
  exit $?
fi

# Runs a command, or prints it with --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# Runs a command in the container with its output in a log file; on failure shows the log's end.
in_container() {
  local log="$1"
  shift
  if [ "$DRY_RUN" = 1 ]; then
    run docker exec "$CONTAINER" "$@"
    echo "  > $log"
  elif ! docker exec "$CONTAINER" "$@" > "$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "gpu-acceptance: failed: $*; full log $log" >&2
    exit 1
  fi
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONTAINER="polyak-gpu-acceptance-$$"
if [ "$DRY_RUN" = 0 ]; then
  for tool in docker nvidia-smi; do
    command -v "$tool" >/dev/null 2>&1 || { echo "gpu-acceptance: needs $tool on the PATH" >&2; exit 1; }
  done
fi

# 1. The image.
if [ -n "$IMAGE" ]; then
  run docker pull "$IMAGE"
else
  IMAGE="polyak-flink:gpu-acceptance"
  (cd "$REPO" && run mvn -B -q -Pgpu -pl pipelines -am package -DskipTests)
  (cd "$REPO" && run docker build -f deploy/k8s/Dockerfile -t "$IMAGE" .)
fi

# 2. A container of the image with one GPU, as the image's user; the work folder at /work.
run mkdir -p "$WORK"
run chmod a+rwx "$WORK"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { [ "$DRY_RUN" = 1 ] || docker rm -f "$CONTAINER" >/dev/null 2>&1 || true; }
trap cleanup EXIT
run docker run -d --name "$CONTAINER" --gpus "device=$GPU" --user 9999:9999 -v "$WORK:/work" \
  --entrypoint sleep "$IMAGE" infinity

# 3. Data: the quickstart's generated corpus and its shards (no download; its short CPU sweep included).
in_container "$WORK/quickstart.log" polyak quickstart --dir /work/quickstart --steps 120
RUN_FILE="model: bert-tiny
data: quickstart/shards/wikitext
train_split: train
eval_split: valid
steps: $STEPS
batch_size: 16
eval_every: 50
eval_samples: 256
checkpoint_every: $STEPS"
if [ "$DRY_RUN" = 1 ]; then
  printf '+ cat > %s\n%s\n' "$WORK/bert-tiny.yaml" "$RUN_FILE"
else
  printf '%s\n' "$RUN_FILE" > "$WORK/bert-tiny.yaml"
fi

# 4. GPU memory, sampled every 200 ms while the GPU runs.
sample_memory() {
  if [ "$DRY_RUN" = 1 ]; then
    run nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i "$GPU" -lms 200
    SAMPLER=""
  else
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i "$GPU" -lms 200 > "$WORK/gpu-memory.csv" &
    SAMPLER=$!
  fi
}

# 5. The same run on the CPU and on the GPU (the first GPU command also times the engine's first load
#    in this new container: the image carries PyTorch unpacked, so there is nothing to extract).
t0=$(date +%s.%N)
in_container "$WORK/train-cpu.log" polyak train --config /work/bert-tiny.yaml --out /work/runs/cpu --device cpu --threads 1
t1=$(date +%s.%N)
sample_memory
in_container "$WORK/train-gpu.log" polyak train --config /work/bert-tiny.yaml --out /work/runs/gpu --device gpu
t2=$(date +%s.%N)
in_container "$WORK/bench-gpu.log" polyak bench train --device gpu --model bert-small,vgg16,resnet56 --threads 1 --steps 20
[ -z "${SAMPLER:-}" ] || kill "$SAMPLER" 2>/dev/null || true

if [ "$DRY_RUN" = 1 ]; then
  echo "(dry run: nothing ran)"
  exit 0
fi

# 6. What to report back.
gpu_name=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader -i "$GPU")
peak=$(sort -n "$WORK/gpu-memory.csv" | tail -n 1)
ms_per_step() { sed -n 's/.*, \([0-9.]*\) ms\/step$/\1/p' "$1" | tail -n 1; }
echo
echo "== polyak GPU acceptance: please report these lines =="
echo "image: $IMAGE ($(docker image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-19))"
echo "gpu $GPU: $gpu_name"
echo "polyak: $(docker exec "$CONTAINER" polyak --version | head -n 1)"
awk -v steps="$STEPS" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v cpu="$(ms_per_step "$WORK/train-cpu.log")" \
  -v gpu="$(ms_per_step "$WORK/train-gpu.log")" 'BEGIN {
    printf "train bert-tiny %d steps: cpu %.1f s wall (%s ms/step), gpu %.1f s wall (%s ms/step), engine load included\n",
      steps, t1 - t0, cpu, t2 - t1, gpu }'
grep -E '^(device|[a-z0-9-]+, [0-9]+ thread)' "$WORK/bench-gpu.log" | sed 's/^/bench: /'
echo "peak GPU memory used: ${peak} MiB (nvidia-smi memory.used of GPU $GPU, every 200 ms, train and bench)"
grep '^final:' "$WORK/train-cpu.log" | sed 's/^/cpu /'
grep '^final:' "$WORK/train-gpu.log" | sed 's/^/gpu /'
verdict=0
compare_runs "$WORK/train-cpu.log" "$WORK/train-gpu.log" > "$WORK/comparison.txt" || verdict=1
tail -n 1 "$WORK/comparison.txt"
echo "== end; logs and the step-by-step comparison (comparison.txt) in $WORK =="
exit "$verdict"
