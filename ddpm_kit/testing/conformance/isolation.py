"""Which heavy packages a spec module imports, checked in a fresh interpreter.

Spec modules must import only the stdlib, pydantic and ``ddpm_kit.registry`` (validation stays fast and
torch-free). The check runs ``python -c`` with the current ``sys.path`` as ``PYTHONPATH`` (so test
fixtures and editable installs are found); with ``os.fork`` one child process per module shares the
pre-imported pydantic and registry, otherwise one interpreter per module runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable

#: packages a spec module must not import (directly or through its imports)
HEAVY = ("torch", "numpy", "pytorch_lightning", "lightning", "diffusers")

_SCRIPT = r"""
import importlib, json, os, sys
HEAVY, modules = json.loads(sys.argv[1])

def heavy_after(module):
    try:
        importlib.import_module(module)
    except BaseException as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"heavy": sorted(h for h in HEAVY if h in sys.modules)}

if hasattr(os, "fork"):
    import pydantic, ddpm_kit.registry  # torch-free; shared by the children
    results = {}
    for module in modules:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            os.write(write, json.dumps(heavy_after(module)).encode())
            os._exit(0)
        os.close(write)
        chunks = []
        while chunk := os.read(read, 65536):
            chunks.append(chunk)
        os.close(read)
        os.waitpid(pid, 0)
        results[module] = json.loads(b"".join(chunks) or b'{"error": "the check process died"}')
else:
    results = {modules[0]: heavy_after(modules[0])}
sys.stdout.write(json.dumps(results) + "\n")
"""


def _run(modules: list[str], timeout: float) -> dict[str, dict[str, object]]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    argument = json.dumps([list(HEAVY), modules])
    done = subprocess.run([sys.executable, "-c", _SCRIPT, argument], capture_output=True, text=True, env=env,
                          timeout=timeout)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return {m: {"error": f"the check interpreter failed: {tail[0]}"} for m in modules}
    return json.loads(done.stdout.strip().splitlines()[-1])


def heavy_imports(modules: Iterable[str], *, timeout: float = 120.0) -> dict[str, list[str] | str]:
    """Module -> the heavy packages importing it pulls in ([] when torch-free), or an error message."""
    wanted = sorted(set(modules))
    if not wanted:
        return {}
    results: dict[str, dict[str, object]] = {}
    if hasattr(os, "fork"):
        results = _run(wanted, timeout)
    else:
        for module in wanted:
            results.update(_run([module], timeout))
    out: dict[str, list[str] | str] = {}
    for module in wanted:
        result = results.get(module, {"error": "no result"})
        out[module] = str(result["error"]) if "error" in result else list(result["heavy"])  # type: ignore[arg-type]
    return out
