"""Acceptance on the embedded model (slow): each of RMU, GD, RIA, NPO and SimNPO with its
documented preset forgets the capitals of Asia (cloze ≤ 0.40, chance 0.25) and keeps ≥ 85 % of
the accuracy on the other continents. About five minutes on two CPU cores."""

import json

import pytest

from remnant.cli import main


@pytest.mark.slow
@pytest.mark.parametrize("method", ["rmu", "gd", "ria", "npo", "simnpo"])
def test_preset_forgets_asia_and_keeps_the_rest(tmp_path, method):
    argv = ["unlearn", "--model", "smollm2-135m", "--method", method, "--out", str(tmp_path)]
    assert main([*argv, "--forget", "capitals:group=Asia", "--retain", "capitals:group!=Asia"]) == 0
    metrics = json.loads((tmp_path / "result.json").read_text())["metrics"]
    assert metrics["forget"]["before"]["acc"] > 0.8
    assert metrics["forget"]["after"]["acc"] <= 0.40
    assert metrics["retain"]["after"]["acc"] >= 0.85 * metrics["retain"]["before"]["acc"]
