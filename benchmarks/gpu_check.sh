#!/usr/bin/env bash
# One prepared GPU check of ddpm-kit: environment, backbone speed (fp32 / bf16 / channels-last / compile),
# train and sampler overhead on the device, an end-to-end `ddpm-kit train` + `ddpm-kit sample`, the inception_fid
# extractor (CPU vs device features, `ddpm-kit evaluate` of 10,000 32x32 RGB samples), and the
# torch-version-sensitive tests. Run from the repository root:
#
#   bash benchmarks/gpu_check.sh                        # on a CUDA machine; logs and images go to $OUT
#   DEVICE=cpu QUICK=1 INSTALL_WHEELS=0 PATH=.venv/bin:$PATH bash benchmarks/gpu_check.sh   # CPU dry run
#
# For a machine without network whose python3 has torch but not ddpm-kit's other dependencies: put their
# wheels in .whl/ (pydantic, pydantic-core, annotated-types, typing-inspection, typing-extensions, typer and
# optionally diffusers); they are installed into $SITE, with ddpm-kit and its plugins built from this tree.
#
# Every step runs under `timeout` inside one overall budget (BUDGET seconds, default 420), prints a header,
# and a failing step is reported with its exit code without stopping the rest. Files written to $OUT:
# gpu_check.log, train_samples.png, loss_curve.png, cli_samples.png.
set -u

DEVICE=${DEVICE:-cuda}            # cuda on the GPU machine, cpu for the dry run
QUICK=${QUICK:-0}                 # 1: tiny sizes (dry run)
BUDGET=${BUDGET:-420}             # seconds for the whole script
INSTALL_WHEELS=${INSTALL_WHEELS:-1}   # install .whl/*.whl (cp312 builds) into $SITE
PYTEST_WORKERS=${PYTEST_WORKERS:-12}
COMPILE=${COMPILE:-1}             # 0: skip the torch.compile variant (slow on a small CPU)
SITE=${SITE:-/tmp/site}
OUT=${OUT:-/tmp/gpu_check_out}
WORK=$(mktemp -d /tmp/gpu_check.XXXXXX)
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 TQDM_DISABLE=1
mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
exec > >(tee -a "$LOG") 2>&1
TEE_PID=$!

START=$(date +%s)
SUMMARY=()

elapsed() { echo $(( $(date +%s) - START )); }

# step NAME CAP_SECONDS COMMAND...: run COMMAND (a program or one of the functions below, in a child bash)
# under timeout min(CAP, what is left of BUDGET); timeout signals the whole process group (compile workers too).
step() {
    local name=$1 cap=$2; shift 2
    local left=$(( BUDGET - $(elapsed) ))
    local limit=$(( cap < left ? cap : left ))
    echo
    echo "================================================================================"
    echo "== [$(elapsed)s] $name   (timeout ${limit}s)"
    echo "== \$ $*"
    echo "================================================================================"
    if (( limit < 10 )); then
        echo "-- SKIPPED: only ${left}s of the ${BUDGET}s budget left"
        SUMMARY+=("$(printf '%-44s %s' "$name" "skipped (budget)")")
        return 0
    fi
    local t0 rc
    t0=$(date +%s)
    timeout -k 10 "$limit" bash -c '"$@"' step "$@"
    rc=$?
    local dt=$(( $(date +%s) - t0 ))
    local verdict="ok"
    if (( rc == 124 || rc == 137 )); then verdict="TIMEOUT"; elif (( rc != 0 )); then verdict="FAILED"; fi
    echo "-- $name: exit $rc ($verdict) in ${dt}s"
    SUMMARY+=("$(printf '%-44s rc=%-4s %-8s %4ss' "$name" "$rc" "$verdict" "$dt")")
    return 0
}

if [[ $DEVICE == cpu ]]; then ACCEL=cpu; else ACCEL=gpu; fi
if (( QUICK )); then
    E2E_STEPS=20; E2E_FP32_STEPS=20; TRAIN_STEPS=12; SAMPLER_ARGS="--quick --batch 4"; BACKBONE_ARGS="--quick"
    SAMPLE_N=16; ANCESTRAL_N=4; INCEPTION_N=8
else
    E2E_STEPS=600; E2E_FP32_STEPS=600; TRAIN_STEPS=150; SAMPLER_ARGS=""; BACKBONE_ARGS=""
    SAMPLE_N=64; ANCESTRAL_N=256; INCEPTION_N=10000
fi

# ---------------------------------------------------------------------------------------------------------
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

install_all() {
    set -e
    if (( INSTALL_WHEELS )); then
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" \
            .whl/*.whl
    fi
    # ddpm-kit and its two plugins as wheels, so their entry points (the built-in registrations too) are found
    # through PYTHONPATH; built from this tree, else the prebuilt copies in .whl/local.
    local wheels="$WORK/local-wheels"
    mkdir -p "$wheels"
    if ! python3 -m pip wheel -q --no-deps --no-build-isolation --no-index -w "$wheels" \
            . plugins/ddpm-kit-extras plugins/ddpm-kit-diffusers; then
        echo "building the ddpm-kit wheels here failed: using the prebuilt .whl/local/*.whl"
        rm -f "$wheels"/*.whl
        cp .whl/local/*.whl "$wheels"/
    fi
    rm -rf build plugins/*/build
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" \
        "$wheels"/*.whl
    ls "$SITE"
}

show_environment() {
    nvidia-smi -L || true
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
    python3 - <<'EOF'
import platform, sys
import torch
print("python", sys.version.split()[0], platform.machine(), sys.executable)
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print("device", torch.cuda.get_device_name(), f"{p.total_memory / 2**30:.0f} GiB, {p.multi_processor_count} SMs,"
          f" capability {p.major}.{p.minor}, bf16 {torch.cuda.is_bf16_supported()}")
import importlib.metadata as md
for name in ("pytorch-lightning", "lightning", "numpy", "pydantic", "pydantic_core", "typer", "typing_extensions",
             "diffusers", "huggingface_hub", "safetensors", "scikit-learn", "einops", "PyYAML", "pillow", "triton",
             "rich", "setuptools", "ddpm-kit", "ddpm-kit-extras"):
    try:
        print(f"  {name:<20} {md.version(name)}")
    except md.PackageNotFoundError:
        print(f"  {name:<20} MISSING")
EOF
}

verify_install() {
    set -e
    python3 - <<'EOF'
import ddpm_kit
from ddpm_kit.registry import REGISTRIES, SCHEDULES
print("ddpm_kit from", ddpm_kit.__file__)
print("schedules:", SCHEDULES.names())
for kind, registry in REGISTRIES.items():
    print(f"  {kind:<14} {registry.names()}")
assert "cosine" in SCHEDULES.names() and "extras.laplace" in SCHEDULES.names(), "entry points missing"
try:  # backbone_speed measures ddpm-kit alone without it
    import diffusers
    from diffusers import UNet2DModel
    print("diffusers", diffusers.__version__, "from", diffusers.__file__)
except Exception as exc:
    print(f"diffusers NOT importable ({type(exc).__name__}: {exc}): backbone ratios will be missing")
EOF
    python3 -m ddpm_kit validate examples/digits.yaml
}

e2e_train() {  # e2e_train NAME PRECISION STEPS
    local name=$1 precision=$2 steps=$3
    local warmup=$(( steps / 6 ))
    local t0 t1
    t0=$(date +%s.%N)
    python3 -m ddpm_kit train examples/digits.yaml --out "$WORK/$name" \
        --set trainer.accelerator=$ACCEL --set trainer.devices=1 --set trainer.precision=$precision \
        --set trainer.max_steps=$steps --set model.scheduler_config.total_steps=$steps \
        --set model.scheduler_config.warmup_steps=$warmup --set trainer.enable_progress_bar=false \
        --set output.image_every_n_steps=0 || return $?
    t1=$(date +%s.%N)
    python3 - "$WORK/$name" "$t0" "$t1" "$precision" <<'EOF'
import json, sys
from pathlib import Path
run, t0, t1, precision = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
summary = json.loads((run / "summary.json").read_text())
steps, fit = int(summary["global_step"]), float(summary["seconds"])
print(f"E2E {precision}: {steps} steps; process wall {t1 - t0:.1f} s; train() {fit:.1f} s "
      f"(fit + final grids) -> {steps / fit:.1f} steps/s all included")
EOF
}

sample_cli() {
    set -e
    local ckpt="$WORK/e2e_bf16/checkpoints/last.ckpt"
    local t0
    t0=$(date +%s.%N)
    python3 -m ddpm_kit sample "$ckpt" --device "$DEVICE" --n "$SAMPLE_N" --out "$OUT/cli_samples.png"
    echo "sample (checkpoint's sampler, n=$SAMPLE_N): $(since "$t0") s wall"
    t0=$(date +%s.%N)
    python3 -m ddpm_kit sample "$ckpt" --device "$DEVICE" --sampler ddpm --n "$ANCESTRAL_N" --out "$WORK/ancestral.png"
    echo "sample (ancestral, T steps, n=$ANCESTRAL_N): $(since "$t0") s wall"
}

collect() {
    local run="$WORK/e2e_bf16"
    cp -v "$run/loss_curve.png" "$OUT/loss_curve.png" || true
    local grid
    grid=$(ls "$run"/images/step*_samples.png 2>/dev/null | tail -1)
    [[ -n $grid ]] && cp -v "$grid" "$OUT/train_samples.png"
    ls -la "$OUT"
}

export -f since install_all show_environment verify_install e2e_train sample_cli collect
export DEVICE QUICK INSTALL_WHEELS SITE OUT WORK ACCEL SAMPLE_N ANCESTRAL_N

# ---------------------------------------------------------------------------------------------------------
echo "gpu_check: DEVICE=$DEVICE QUICK=$QUICK BUDGET=${BUDGET}s host=$(hostname) $(date -u +%FT%TZ)"
echo "git: $(git rev-parse --short HEAD 2>/dev/null) + $(git status --porcelain 2>/dev/null | wc -l) changed files"
step "install wheels and ddpm-kit" 90 install_all
export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
step "environment" 60 show_environment
step "verify registries + validate" 60 verify_install

step "backbone_speed fp32" 60 python3 -m benchmarks.backbone_speed --device "$DEVICE" $BACKBONE_ARGS
step "backbone_speed bf16" 60 python3 -m benchmarks.backbone_speed --device "$DEVICE" --bf16 $BACKBONE_ARGS
step "backbone_speed bf16 channels-last" 60 \
    python3 -m benchmarks.backbone_speed --device "$DEVICE" --bf16 --channels-last $BACKBONE_ARGS

step "train_overhead 32-true" 75 \
    python3 -m benchmarks.train_overhead --device "$DEVICE" --precision 32-true --steps "$TRAIN_STEPS"
step "train_overhead bf16-mixed" 75 \
    python3 -m benchmarks.train_overhead --device "$DEVICE" --precision bf16-mixed --steps "$TRAIN_STEPS"
step "sampler_overhead fp32" 60 python3 -m benchmarks.sampler_overhead --device "$DEVICE" $SAMPLER_ARGS
step "sampler_overhead bf16" 60 python3 -m benchmarks.sampler_overhead --device "$DEVICE" --bf16 $SAMPLER_ARGS

step "e2e train bf16-mixed ($E2E_STEPS steps)" 100 e2e_train e2e_bf16 bf16-mixed "$E2E_STEPS"
step "e2e sample from checkpoint" 45 sample_cli
step "collect pngs" 15 collect
# inception_fid with seeded random weights (no network here): CPU vs device features within 1e-4 (relative), then
# extract_features and `ddpm-kit evaluate --samples` of INCEPTION_N random 32x32 RGB images, timed
step "inception_fid check (n=$INCEPTION_N)" 150 \
    python3 -m benchmarks.inception_fid_check --device "$DEVICE" --n "$INCEPTION_N" --out "$WORK/inception"
step "e2e train 32-true ($E2E_FP32_STEPS steps)" 70 e2e_train e2e_fp32 32-true "$E2E_FP32_STEPS"

# torch.compile last: inductor compiles four models, the slowest and least predictable step.
if (( COMPILE )); then
    step "backbone_speed bf16 channels-last compile" 200 \
        python3 -m benchmarks.backbone_speed --device "$DEVICE" --bf16 --channels-last --compile $BACKBONE_ARGS
fi
# the test suite under this machine's torch / numpy / lightning versions (CPU tests; catches API drift)
step "pytest: slow inductor test of the UNet" 60 \
    python3 -m pytest -q -p no:cacheprovider -m slow tests/components/backbones/test_unet_execution.py
if (( QUICK )); then TESTS="tests/components/backbones/test_unet_execution.py tests/diffusion tests/components/samplers"; else TESTS=""; fi
step "pytest: whole suite (-n $PYTEST_WORKERS)" 100 \
    python3 -m pytest -q -p no:cacheprovider -rfE -n "$PYTEST_WORKERS" $TESTS

echo
echo "================================================================================"
echo "== SUMMARY (total $(elapsed)s of ${BUDGET}s budget)"
printf '%s\n' "${SUMMARY[@]}"
rm -rf "$WORK"
exec >&- 2>&-
wait "$TEE_PID" 2>/dev/null
