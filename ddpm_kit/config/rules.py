"""Rules that relate several fields, or a field and a component, after per-field validation passed.

Each rule reports through ``Issues`` with the dotted path of the field to change. These are
misconfigurations that CompVis, diffusers and lucidrains accept silently; each message says what goes wrong.
"""

from __future__ import annotations

import importlib.metadata as md
import re
from collections.abc import Sequence
from pathlib import Path

from ddpm_kit.config import augment_rules, budget, run_rules
from ddpm_kit.config.condition_rules import check_concat_condition
from ddpm_kit.config.errors import Issues
from ddpm_kit.config.eval_rules import check_eval, check_sampler
from ddpm_kit.config.evaluation import logged_keys
from ddpm_kit.config.model import ModelConfig
from ddpm_kit.config.run import RunConfig
from ddpm_kit.registry import did_you_mean
from ddpm_kit.registry.sizes import as_hw, size_text
from ddpm_kit.components.backbones.conditioning import CONDITIONING_KEYS, conditioning_slots

TERMINAL_ALPHA_BAR_WARN = 1e-2
#: eps-prediction without clipping: warn when x0 = (x_t - sqrt(1 - a) eps) / sqrt(a) amplifies an eps error
#: by more than this at t = T. examples/toy2d.yaml with eps (x182) gives DDIM / DPM-Solver++ samples up to
#: |x| = 20 where the data and ancestral samples stay below 2.4; Stable Diffusion's scaled_linear is x15.
EPS_AMPLIFICATION_WARN = 100.0
FLOAT32_TINY = 1.1754943508222875e-38  # smallest normal float32
LOSS_KEYS = ("loss", "loss_simple", "loss_vlb")
_MODES = [k for k in CONDITIONING_KEYS if k is not None]
ADM_MODES = tuple(k for k in _MODES if conditioning_slots(k).labels)
CONTEXT_MODES = tuple(k for k in _MODES if conditioning_slots(k).context)


def effective_timesteps(model: ModelConfig) -> int:
    """T: the length of given betas when the schedule fixes it, else ``timesteps``."""
    schedule = model.beta_schedule
    return model.timesteps if schedule.uses_timesteps else len(schedule.reference_betas(model.timesteps))


def known_metrics(model: ModelConfig) -> list[str]:
    names = [f"{split}/{key}" for split in ("train", "val") for key in LOSS_KEYS]
    names += [f"val/{key}_ema" for key in LOSS_KEYS] if model.use_ema else []
    return names


def check_model(model: ModelConfig, issues: Issues, prefix: str = "model", extra_metrics: Sequence[str] = ()) -> None:
    """Cross-field rules of the model section (also run by ``DDPM(**kwargs)``); ``extra_metrics`` are the keys
    other sections log (the ``eval`` section's ``val/fd_ema``, ...), which ``monitor`` may name."""
    p = prefix + "."
    given = model.model_fields_set
    if model.l_simple_weight == 0 and model.original_elbo_weight == 0:
        issues.error(p + "l_simple_weight", "l_simple_weight and original_elbo_weight are both 0: nothing is trained",
                     hint="set l_simple_weight: 1.0")
    if model.ckpt_path is None:
        if model.load_only_unet:
            issues.error(p + "load_only_unet", "needs ckpt_path: there is nothing to load")
        if model.ignore_keys:
            issues.warning(p + "ignore_keys", "is ignored without ckpt_path", value=model.ignore_keys)
        if model.reset_ema:
            issues.error(p + "reset_ema", "needs ckpt_path: it restarts the EMA from the loaded weights")
        if model.make_it_fit:
            issues.warning(p + "make_it_fit", "is ignored without ckpt_path")
    elif not Path(model.ckpt_path).is_file():
        issues.error(p + "ckpt_path", "no such file", value=model.ckpt_path)
    if not model.use_ema:
        for key in ("reset_ema", "reset_num_ema_updates"):
            if getattr(model, key):
                issues.error(p + key, "needs use_ema: true")
        if "ema" in given:
            issues.warning(p + "ema", "is ignored because use_ema is false")
    _check_schedule(model, issues, p)
    _check_components(model, issues, p)
    _check_backbone(model, issues, p)
    metrics = known_metrics(model) + list(extra_metrics)
    if model.monitor is not None and model.monitor not in metrics:
        issues.error(p + "monitor", f"is never logged{did_you_mean(model.monitor, metrics)}", value=model.monitor,
                     hint=f"logged metrics: {', '.join(metrics)}")
    if model.parameterization == "x0" and model.original_elbo_weight > 0 and model.lvlb_weights == "compvis":
        issues.warning(p + "lvlb_weights", "the 'compvis' x0 weights reproduce upstream's precedence slip "
                       "0.5*sqrt(a)/(2 - a) instead of 0.5*sqrt(a)/(2*(1 - a))", hint="set lvlb_weights: corrected")


def _check_schedule(model: ModelConfig, issues: Issues, p: str) -> None:
    schedule = model.beta_schedule
    if not schedule.uses_timesteps and "timesteps" in model.model_fields_set:
        length = len(schedule.reference_betas(model.timesteps))
        if length != model.timesteps:
            issues.error(p + "timesteps", f"the {schedule.name} schedule has {length} steps", value=model.timesteps)
    timesteps = effective_timesteps(model)
    problems = schedule.check(timesteps)
    for problem in problems:
        issues.error(p + "beta_schedule", f"at T = {timesteps}: {problem}")
    if problems:
        return
    alpha_bar_T = schedule.reference_alphas_cumprod(timesteps)[-1]
    if alpha_bar_T == 0:
        if model.parameterization == "eps":
            issues.error(p + "parameterization", "eps cannot be predicted at zero terminal SNR (alpha_bar_T = 0): "
                         "x0 = (x_T - sqrt(1 - a) eps) / sqrt(a) divides by 0", hint="use parameterization: v")
    elif alpha_bar_T < FLOAT32_TINY:
        issues.error(p + "beta_schedule", f"terminal alpha_bar {alpha_bar_T:.3g} underflows float32 at T = {timesteps} "
                     "(below the smallest normal number 1.18e-38, the float32 buffers lose their precision)",
                     hint="use fewer steps, smaller betas, or zero_terminal_snr")
    elif model.parameterization == "eps" and not model.clip_denoised and alpha_bar_T**-0.5 > EPS_AMPLIFICATION_WARN:
        issues.warning(p + "clip_denoised", f"is off with eps-prediction and terminal alpha_bar {alpha_bar_T:.3g}: "
                       "the x0 implied by an eps prediction, (x_t - sqrt(1 - a) eps) / sqrt(a), multiplies an eps "
                       f"error by {alpha_bar_T**-0.5:,.0f} at t = T; deterministic samplers (ddim, dpmpp_2m) then "
                       "produce far outliers",
                       hint="use parameterization: v, or clip_denoised: true for data in [-1, 1]")
    if alpha_bar_T > TERMINAL_ALPHA_BAR_WARN:
        issues.warning(p + "beta_schedule", f"keeps signal at t = T: alpha_bar_T = {alpha_bar_T:.3g} "
                       f"(terminal SNR {alpha_bar_T / (1 - alpha_bar_T):.3g}); sampling starts from noise that does "
                       "not match", hint="more timesteps, a larger linear_end, or iddpm_linear (scales with 1000/T)")


def _check_components(model: ModelConfig, issues: Issues, p: str) -> None:
    timesteps = effective_timesteps(model)
    check_sampler(model.sampler, model.parameterization, timesteps, issues, p + "sampler")
    weighting = model.loss_weighting
    if model.parameterization not in weighting.parameterizations:
        issues.error(p + "loss_weighting", f"{weighting.name!r} is not defined for {model.parameterization!r}")


def _net_field(net: object, name: str, p: str) -> str:
    """Path of a backbone parameter, or of the backbone when its spec names the parameter differently."""
    return p + f"unet_config.{name}" if name in type(net).model_fields else p + "unet_config"


def _check_backbone(model: ModelConfig, issues: Issues, p: str) -> None:
    net = model.unet_config
    key = model.conditioning_key
    slots = conditioning_slots(key)
    extra = 2 if model.use_positional_encodings else 0
    if model.use_positional_encodings and net.data_dims() != 3:
        issues.error(p + "use_positional_encodings", "coordinate channels need image data (a 2-D backbone)")
    expected_in = net.data_channels()
    if expected_in is not None:
        wanted = model.channels + extra
        if slots.c_concat:
            if expected_in <= wanted:
                issues.error(_net_field(net, "in_channels", p), f"concat conditioning needs more than {wanted} input "
                             f"channels (data {model.channels}{' + 2 coordinates' if extra else ''} + condition)",
                             value=expected_in)
        elif expected_in != wanted:
            issues.error(_net_field(net, "in_channels", p), f"must equal channels ({model.channels})"
                         + (" + 2 coordinate channels" if extra else ""), value=expected_in)
    out = net.output_channels()
    if out is not None and out != model.channels:
        issues.error(_net_field(net, "out_channels", p),
                     f"must equal channels ({model.channels}) for {model.parameterization}"
                     " prediction", value=out)
    size = net.spatial_size()
    if size is not None and net.data_dims() == 3 and as_hw(size) != as_hw(model.image_size):
        issues.warning(_net_field(net, "image_size", p), f"disagrees with model image_size "
                       f"{size_text(model.image_size)}; it has no effect on the network (as upstream), samples are "
                       "model.image_size", value=size)
    if net.data_dims() == 3:
        for problem in net.check_spatial(*as_hw(model.image_size)):
            issues.error(p + "image_size", problem, value=model.image_size)
    if net.accepts_labels() and not slots.labels:
        issues.error(p + "conditioning_key", "the network takes class labels (num_classes) but no labels are supplied",
                     value=key, hint=f"use one of {', '.join(ADM_MODES)}")
    if slots.labels and not net.accepts_labels():
        issues.error(p + "conditioning_key", f"{key!r} supplies labels but the network has no num_classes", value=key)
    if slots.context and not net.accepts_context():
        issues.error(p + "conditioning_key", f"{key!r} needs a cross-attention network (context_dim)", value=key)
    _check_condition_keys(model, issues, p)
    if net.accepts_context() and not slots.context:
        issues.error(p + "conditioning_key", "the network has cross-attention (context_dim) but no context is supplied",
                     value=key, hint=f"use one of {', '.join(CONTEXT_MODES)}")


def needed_condition_keys(conditioning_key: str | None) -> set[str]:
    """Which of ``condition_keys`` (concat, context, labels) a DiffusionWrapper mode reads."""
    slots = conditioning_slots(conditioning_key)
    return {name for name, used in (("concat", slots.c_concat), ("context", slots.context), ("labels", slots.labels))
            if used}


def _check_condition_keys(model: ModelConfig, issues: Issues, p: str) -> None:
    needed = needed_condition_keys(model.conditioning_key)
    given = set(model.condition_keys.used())
    for slot in sorted(needed - given):
        issues.error(p + f"condition_keys.{slot}", f"conditioning_key {model.conditioning_key!r} needs the batch key "
                     f"of its {slot} condition")
    for slot in sorted(given - needed):
        issues.error(p + f"condition_keys.{slot}", f"is not read by conditioning_key {model.conditioning_key!r}")
    if model.guidance_scale != 1.0:
        dropped = set(model.ucg_training or {})
        if not dropped & set(model.condition_keys.used().values()):
            issues.warning(p + "guidance_scale", "guidance needs a model trained with condition dropout: set "
                           "ucg_training for the condition key (e.g. {class_label: {p: 0.1, val: <null label>}})")


def check_run(run: RunConfig, issues: Issues) -> None:
    """Rules across sections: data against the model, plugin requirements."""
    check_model(run.model, issues, extra_metrics=logged_keys(run.eval.metrics) if run.eval else ())
    check_eval(run, effective_timesteps(run.model), issues)
    model, data = run.model, run.data
    for slot, key in model.condition_keys.used().items():
        if key not in data.keys():
            issues.error(f"model.condition_keys.{slot}", f"the {data.name} data has no key {key!r}", value=key,
                         hint=f"its keys: {', '.join(data.keys())}")
    if model.first_stage_key not in data.keys():
        issues.error("model.first_stage_key", f"the {data.name} data has no key {model.first_stage_key!r}",
                     value=model.first_stage_key, hint=f"its keys: {', '.join(data.keys())}")
    shape = data.sample_shape()
    if shape is not None:
        if model.unet_config.data_dims() != len(shape):
            issues.error("data", f"gives {len(shape)}-D samples {shape} but the {model.unet_config.name} backbone "
                         f"expects {model.unet_config.data_dims()}-D samples")
        elif len(shape) == 3:
            if shape[0] != model.channels:
                issues.error("model.channels", f"the data has {shape[0]} channels", value=model.channels)
            if shape[1:] != as_hw(model.image_size):
                issues.error("model.image_size", f"the data is {shape[1]}x{shape[2]} (H x W)", value=model.image_size)
        elif len(shape) == 1 and shape[0] != model.channels:
            issues.error("model.channels", f"the data has {shape[0]} features per sample", value=model.channels)
    lr_schedule = model.scheduler_config
    total = getattr(lr_schedule, "total_steps", None)
    if total is not None and run.trainer.max_steps > 0 and total != run.trainer.max_steps:
        issues.warning("model.scheduler_config.total_steps", f"is {total} but trainer.max_steps is "
                       f"{run.trainer.max_steps}: the learning-rate schedule will not end with the run",
                       hint="set both together, e.g. --set model.scheduler_config.total_steps=<max_steps>")
    multi_process = run.trainer.device_count() != 1 or run.trainer.num_nodes > 1 or run.trainer.strategy != "auto"
    if run.on_nonfinite_loss == "skip" and multi_process and run.trainer.strategy not in ("auto", "single_device"):
        issues.error("on_nonfinite_loss", "skip works in a single process only (ranks would disagree on the step)",
                     value="skip", hint="use stop")
    if run.trainer.strategy.startswith("ddp") and run.trainer.device_count() == 1 and run.trainer.num_nodes == 1:
        issues.warning("trainer.strategy", f"{run.trainer.strategy} with a single device runs one process")
    for index, requirement in enumerate(run.require_plugins):
        problem = requirement_problem(requirement)
        if problem:
            issues.error(f"require_plugins[{index}]", problem, value=requirement)
    for check in (run_rules.check_trainer, run_rules.check_data, run_rules.check_ema, run_rules.check_learning_rate,
                  augment_rules.check_augment, budget.check_budget, check_concat_condition):
        check(run, issues)


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:(>=|==|<=|>|<|!=)\s*([0-9][0-9a-zA-Z.]*))?\s*$")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:4])


def requirement_problem(requirement: str) -> str:
    """Why ``requirement`` ('acme-ddpm>=1.2') is not met by the installed distributions, or ''."""
    match = _REQUIREMENT.match(requirement)
    if not match:
        return "is not a requirement of the form 'name' or 'name>=1.2'"
    name, op, wanted = match.groups()
    try:
        installed = md.version(name)
    except md.PackageNotFoundError:
        return f"plugin distribution {name!r} is not installed"
    if op is None:
        return ""
    have, want = _version_key(installed), _version_key(wanted)
    ok = {">=": have >= want, "==": have == want, "<=": have <= want, ">": have > want, "<": have < want,
          "!=": have != want}[op]
    return "" if ok else f"{name} {installed} is installed, the config needs {op}{wanted}"
