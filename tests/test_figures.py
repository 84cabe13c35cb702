"""Tests for the grid study's figures."""

from __future__ import annotations

import json

import pytest

from gridstudy import aggregate as agg
from gridstudy.figures import draw_figures
from tests.test_aggregate import make_cell, run_aggregate

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OUTPUTS = ("heatmap", "params", "curves", "lr")


def figure_paths(folder):
    return {name: folder / f"{name}.png" for name in OUTPUTS}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    root = tmp_path_factory.mktemp("figures")
    paths, cells, _ = run_aggregate(root)
    outputs = figure_paths(root / "figures")
    draw_figures(paths["grid"], cells, **outputs)
    return paths, cells, outputs


@pytest.mark.parametrize("name", OUTPUTS)
def test_figure_is_png(drawn, name):
    _, _, outputs = drawn
    data = outputs[name].read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 1000


def test_figures_byte_identical_on_rerun(drawn, tmp_path):
    paths, cells, outputs = drawn
    again = figure_paths(tmp_path)
    draw_figures(paths["grid"], cells, **again)
    for name in OUTPUTS:
        assert again[name].read_bytes() == outputs[name].read_bytes(), name


def test_figures_png_has_no_version(drawn):
    _, _, outputs = drawn
    assert b"matplotlib" not in outputs["heatmap"].read_bytes().lower()


def test_figures_with_nothing_ok(tmp_path):
    cells = []
    for hidden in (4, 16):
        cell = make_cell("relu", hidden, 1, 0.1, 0, study="s", dataset="d", binary=True)
        for budget in cell["budgets"]:
            budget["status"] = "diverged"
            budget["stop_reason"] = "diverged"
            for split in agg.SPLITS:
                budget[split] = {key: None for key in agg.METRICS}
        cell["loss_curve"] = [1.0, 2.0, float("inf")]
        cells.append(cell)
    paths = []
    for cell in cells:
        path = tmp_path / f"{cell['cell']}.json"
        path.write_text(json.dumps(cell))
        paths.append(path)
    grid = tmp_path / "grid.csv"
    agg.write_csv(agg.build_grid(cells, binary=True), grid)
    outputs = figure_paths(tmp_path / "figures")
    draw_figures(grid, paths, **outputs)
    for name in OUTPUTS:
        assert outputs[name].read_bytes().startswith(PNG_SIGNATURE), name
