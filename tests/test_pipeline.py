"""`remnant run` on tiny-random: end to end, resume after a kill, and re-runs on a change."""

import json
import re

import pytest

from remnant import pipeline
from remnant.cli import main
from remnant.config import EXAMPLES
from remnant.results import read_result

# The tiny example made smaller still: the pipeline's bookkeeping is what is under test.
FAST = [
    "general=null",
    "attacks.prompts=[fewshot:2]",
    "attacks.relearn.steps=1",
    "attacks.rtt.epochs=1",
    "methods.gd.steps=1",
    "methods.rmu.steps=1",
]


def _argv(out, *extra):
    argv = ["run", str(EXAMPLES / "tiny.yaml"), "--out", str(out)]
    for assignment in [*FAST, *extra]:
        argv += ["--set", assignment]
    return argv


def _run(out, capsys, *extra):
    code = main(_argv(out, *extra))
    text = capsys.readouterr().out
    statuses = dict(re.findall(r"^\[\d+/\d+\] (\S+) \((.*)\)$", text, flags=re.M))
    return code, statuses


def _summary(out):
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("stages")
    return summary


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "tiny"
    assert main(_argv(out)) == 0
    return out


def test_end_to_end_writes_summary_and_report(finished):
    summary = json.loads((finished / "summary.json").read_text())
    assert summary["schema_version"] == 1 and set(summary["methods"]) == {"rmu", "gd"}
    rmu = summary["methods"]["rmu"]
    assert {"fewshot:2", "relearn", "rtt"} <= set(rmu["attacks"])
    assert 0 <= rmu["forget"]["after"] <= 1 and rmu["attacks"]["rtt"]["curves"]
    relearned = read_result(finished / "relearn-rmu")
    assert rmu["attacks"]["relearn"]["ci"] == (relearned.get("recovery") or {}).get("ci")
    assert all(stage["status"] == "ran" for stage in summary["stages"].values())
    report = (finished / "report.md").read_text()
    assert "rmu" in report.lower() and len(report) > 500
    assert any((finished / "plots").glob("*.png"))
    for stage in summary["stages"]:
        assert read_result(finished / stage)["status"] == "complete"
        assert (finished / stage / "stage.json").exists()


def test_rerun_skips_everything_and_gives_the_same_summary(finished, capsys):
    before = _summary(finished)
    code, statuses = _run(finished, capsys)
    assert code == 0 and statuses
    assert all(status.startswith("done earlier") for status in statuses.values())
    assert _summary(finished) == before


def test_killed_run_resumes_where_it_stopped(finished, tmp_path, capsys, monkeypatch):
    calls = []
    real_cli = pipeline._cli

    def dies_on_fourth_stage(argv):
        calls.append(argv)
        if len(calls) == 4:
            raise KeyboardInterrupt  # Ctrl-C in the middle of a stage
        real_cli(argv)

    monkeypatch.setattr(pipeline, "_cli", dies_on_fourth_stage)
    out = tmp_path / "tiny"
    code, statuses = _run(out, capsys)
    assert code == 130 and len(statuses) == 3
    monkeypatch.setattr(pipeline, "_cli", real_cli)
    # A stage killed hard (kill -9) leaves a running result.json and no stage.json.
    half_done = next(p for p in out.iterdir() if p.is_dir() and p.name not in statuses)
    assert not (half_done / "stage.json").exists()
    code, statuses = _run(out, capsys)
    assert code == 0
    skipped = [name for name, status in statuses.items() if status.startswith("done earlier")]
    assert len(skipped) == 3
    assert _summary(out) == _summary(finished)


def test_changed_setting_reruns_only_what_depends_on_it(finished, capsys):
    code, statuses = _run(finished, capsys, "methods.gd.retain_weight=2.0")
    assert code == 0
    ran = {name for name, status in statuses.items() if not status.startswith("done earlier")}
    assert ran == {name for name in statuses if name.endswith("-gd") or "-gd-" in name}
    assert ran and all("rmu" not in name and "original" not in name for name in ran)


def test_dry_run_lists_the_commands(capsys):
    assert main(["run", str(EXAMPLES / "tiny.yaml"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "unlearn --model tiny-random --method rmu" in out


def test_ray_executor_without_ray_says_how_to_install(monkeypatch, tmp_path):
    import sys

    from remnant.errors import UserError
    from remnant.executors import execute_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(UserError, match=r"pip install 'remnant\[ray\]'"):
        execute_ray([], tmp_path)
