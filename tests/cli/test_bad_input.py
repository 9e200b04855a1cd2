"""Bad input at scale: generated files and arguments always end in a clean message and exit 1 or 2."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BASE_CONFIG

SCALE = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(["1e-4", "nan", ".inf", "~", "yes", "0x1F", "🦄", "\u202e", "a" * 300]),
)
yaml_values = st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                           max_leaves=20)
raw_texts = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.sampled_from([
        "", "---", "- a\n- b", "model: !!python/object/apply:os.system ['true']", "model: &a [*a]",
        "a: &a ['x','x']\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
        "model:\n  timesteps: 10\n  timesteps: 20", "\t\tmodel: x", "model: {unet_config: }", "%YAML 9.9\n---\na: 1",
    ]),
)


def _check(cli, path, *args):
    code, out, err = cli("validate", path, *args)
    assert code in (1, 2), (code, out[-500:], err[-500:])
    assert "Traceback" not in out + err and "error: unexpected " not in err
    assert err.strip()


def _mutated(data, value):
    config = copy.deepcopy(BASE_CONFIG)
    section, key = data
    target = config.setdefault(section, {}) if section != "model.unet_config" else config["model"]["unet_config"]
    target[key] = value
    return config


KEYS = st.sampled_from([("model", k) for k in ("timesteps", "beta_schedule", "linear_start", "ignore_keys",
                                               "parameterization", "ema", "sampler", "given_betas", "loss_type")]
                       + [("trainer", "max_steps"), ("trainer", "devices"), ("data", "batch_size"),
                          ("optimizer", "lr"), ("model.unet_config", "channel_mult"), ("data", "name"),
                          ("model", "zz_unknown"), ("zz_section", "x")])


def _mutation_case(tmp_path, cli, data):
    key, value = data.draw(KEYS), data.draw(yaml_values)
    config = _mutated(key, value)
    try:
        text = yaml.safe_dump(config, allow_unicode=True)
    except yaml.YAMLError:
        return
    path = tmp_path / "mutated.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = cli("validate", path)
    assert code in (0, 1), (code, err[-500:])  # some mutations are valid values
    assert "Traceback" not in out + err and "error: unexpected " not in err


def _raw_case(tmp_path, cli, text):
    path = tmp_path / "raw.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    code, out, err = cli("validate", path)
    assert code in (0, 1, 2) and "Traceback" not in out + err and "error: unexpected " not in err


@QUICK
@given(data=st.data())
def test_mutated_values_quick(tmp_path, cli, data):
    _mutation_case(tmp_path, cli, data)


@QUICK
@given(text=raw_texts)
def test_raw_files_quick(tmp_path, cli, text):
    _raw_case(tmp_path, cli, text)


@pytest.mark.slow
@SCALE
@given(data=st.data())
def test_mutated_values_at_scale(tmp_path, cli, data):
    _mutation_case(tmp_path, cli, data)


@pytest.mark.slow
@SCALE
@given(text=raw_texts)
def test_raw_files_at_scale(tmp_path, cli, text):
    _raw_case(tmp_path, cli, text)


@pytest.mark.slow
@SCALE
@given(args=st.lists(st.text(max_size=30), max_size=4))
def test_arbitrary_set_overrides(tmp_path, cli, args):
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(BASE_CONFIG))
    flags = [part for arg in args for part in ("--set", arg)]
    code, out, err = cli("validate", path, *flags)
    assert code in (0, 1, 2) and "Traceback" not in out + err and "error: unexpected " not in err


def test_known_hostile_files(tmp_path, cli):
    cases = {
        "bomb.yaml": "a: &a ['x','x','x','x','x','x','x','x','x','x']\n" + "\n".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]" for i in range(7)),
        "unsafe.yaml": "model: !!python/object/apply:os.system ['touch pwned']",
        "empty.yaml": "",
        "binary.yaml": "\x00\x01\x02",
        "unicode.yaml": "modèl: {ünet: 🦄}\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        _check(cli, path)
    assert not (tmp_path / "pwned").exists()


#: YAML 1.1 words, numbers a field cannot hold, and sizes that would exhaust memory if they were ever allocated
YAML_1_1_WORDS = ["yes", "no", "on", "off", "y", "n", "Yes", "OFF", "true"]
HOSTILE_SCALARS = YAML_1_1_WORDS + ["1e400", "-1e400", ".nan", "9" * 5000, "1e9", "1e18", "-1", "0", "4294967296",
                                    "1e6", "65537", "0x7fffffff"]
NUMERIC_FIELDS = [("trainer", "max_steps"), ("trainer", "devices"), ("trainer", "accumulate_grad_batches"),
                  ("data", "batch_size"), ("data", "num_workers"), ("seed", None), ("optimizer", "weight_decay"),
                  ("model", "timesteps"), ("model.unet_config", "num_res_blocks"),
                  ("model.unet_config", "model_channels"), ("model.unet_config", "image_size"),
                  ("model", "image_size")]


def _raw_scalar_case(tmp_path, cli, field, token):
    import time

    config = copy.deepcopy(BASE_CONFIG)
    section, key = field
    marker = "__HOSTILE__"
    if key is None:
        config[section] = marker
    elif section == "model.unet_config":
        config["model"]["unet_config"][key] = marker
    else:
        config.setdefault(section, {})[key] = marker
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(config).replace(marker, token))  # unquoted: YAML decides what the token is
    start = time.perf_counter()
    code, out, err = cli("validate", path)
    assert time.perf_counter() - start < 10, (field, token)
    # a word is never a number; a number may be a valid value, but never a traceback, a hang or an allocation
    assert code in ((1,) if token in YAML_1_1_WORDS else (0, 1, 2)), (field, token, code, out[-300:])
    assert "Traceback" not in out + err and "error: unexpected " not in err


@pytest.mark.parametrize("token", ["yes", "off", "1e400", "9" * 5000, "1e9"])
def test_hostile_scalars_quick(tmp_path, cli, token):
    _raw_scalar_case(tmp_path, cli, ("trainer", "max_steps"), token)


@pytest.mark.slow
@pytest.mark.parametrize("field", NUMERIC_FIELDS, ids=lambda f: ".".join(p for p in f if p))
def test_hostile_scalars_in_every_numeric_field(tmp_path, cli, field):
    for token in HOSTILE_SCALARS:
        _raw_scalar_case(tmp_path, cli, field, token)
