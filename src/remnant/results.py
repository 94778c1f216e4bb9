"""The versioned result schema (v1), atomic writes and read-back.

A run directory holds `result.json` (one object, schema below) and `samples.jsonl` (one row per
scored item). Both are written to a temporary file and renamed, so a killed process leaves either
the previous file or the new one, never half of one; `status` says whether the run finished.

result.json: {schema_version, kind, name, config, model: {spec, resolved_path, sha256?,
parent_run?}, env: {remnant, torch, transformers, python, device, dtype, world_size, git_sha?,
seed}, metrics: {<dataset>: {<scorer or transform>: {acc, stderr, n, ...}}}, curves?, started,
finished, seconds, status}
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from remnant import distributed
from remnant.errors import UserError

SCHEMA_VERSION = 1
RESULT_FILE = "result.json"
SAMPLES_FILE = "samples.jsonl"
STATUSES = ("running", "complete", "failed")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same directory and a rename, so a
    reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp files are owner-only; results and reports are meant to be shared.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _git_sha() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def env_info(
    *, device: str, dtype: str, seed: int, world_size: int | None = None
) -> dict[str, Any]:
    import torch
    import transformers

    import remnant

    info = {
        "remnant": remnant.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "device": device,
        "dtype": dtype,
        "world_size": world_size if world_size is not None else distributed.init()[1],
        "seed": seed,
    }
    sha = _git_sha()
    if sha:
        info["git_sha"] = sha
    return info


def read_result(run_dir: Path | str) -> dict[str, Any]:
    """Read a run's result.json, checking its schema version."""
    path = Path(run_dir) / RESULT_FILE
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            "no result.json", str(path.parent), "is this a remnant run directory?"
        ) from None
    except json.JSONDecodeError as exc:
        raise UserError(f"result.json is not valid JSON ({exc.msg})", str(path)) from exc
    if result.get("schema_version") != SCHEMA_VERSION:
        raise UserError(
            f"unsupported schema_version {result.get('schema_version')!r}",
            str(path),
            f"this remnant reads version {SCHEMA_VERSION}",
        )
    return result


def is_complete(run_dir: Path | str) -> bool:
    try:
        return read_result(run_dir).get("status") == "complete"
    except UserError:
        return False


def read_samples(run_dir: Path | str) -> list[dict[str, Any]]:
    path = Path(run_dir) / SAMPLES_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Run:
    """One command's output directory and its result, saved on every change of state."""

    out: Path
    result: dict[str, Any] = field(default_factory=dict)
    _clock: float = 0.0

    def save(self) -> None:
        if not distributed.is_main():  # under a launcher only the main process writes
            return
        text = json.dumps(self.result, indent=2, sort_keys=False, default=str)
        atomic_write_text(self.out / RESULT_FILE, text + "\n")

    def write_samples(self, rows: Iterable[dict[str, Any]]) -> None:
        if not distributed.is_main():
            return
        lines = "".join(json.dumps(row, default=str) + "\n" for row in rows)
        atomic_write_text(self.out / SAMPLES_FILE, lines)

    def finish(self, metrics: dict[str, Any] | None = None, **extra: Any) -> None:
        if metrics is not None:
            self.result["metrics"] = metrics
        self.result.update(extra)
        self.result["finished"] = _now()
        self.result["seconds"] = round(time.time() - self._clock, 3)
        self.result["status"] = "complete"
        self.save()

    def fail(self, reason: str) -> None:
        self.result.update(status="failed", error=reason, finished=_now())
        self.result["seconds"] = round(time.time() - self._clock, 3)
        self.save()


def start_run(
    out: Path | str,
    *,
    kind: str,
    name: str,
    config: dict[str, Any],
    model: dict[str, Any],
    env: dict[str, Any],
    overwrite: bool = False,
    started: float | None = None,
) -> Run:
    """Create (or reuse) a run directory and write result.json with status "running".

    A directory holding a complete run is refused unless `overwrite`, so a finished result is
    never lost to a repeated command. `started` (a `time.time()` value) dates the run's clock
    back for a command that did work before it could name its model.
    """
    out = Path(out)
    if is_complete(out) and not overwrite:
        raise UserError(
            "a finished run is already there", str(out), "choose another --out or pass --overwrite"
        )
    if out.exists() and not out.is_dir():
        raise UserError("--out is a file, not a directory", str(out))
    result = {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "name": name,
        "config": config,
        "model": model,
        "env": env,
        "metrics": {},
        "started": _now(),
        "finished": None,
        "seconds": None,
        "status": "running",
    }
    run = Run(out=out, result=result, _clock=started or time.time())
    run.save()
    return run
