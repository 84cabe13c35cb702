"""Draw the grid study's figures from a grid CSV and the cell JSONs.

Every figure plots configurations with status ``ok`` only (mean over seeds);
the title states how many configurations it leaves out as ``diverged`` or
``one_class``.  The PNGs carry no software version or date, so the same inputs
give the same bytes with the same matplotlib build.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from gridstudy.aggregate import (  # noqa: E402
    config_columns,
    load_cell,
    rank_configurations,
    read_grid,
    summarise_configurations,
)

DPI = 100
# Without a Software entry the PNG contains no matplotlib version; Agg writes no date.
PNG_METADATA = {"Software": None}


def _save(figure: plt.Figure, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, metadata=PNG_METADATA)
    plt.close(figure)


def _empty(axes: plt.Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_axis_off()


def _left_out(configurations: pd.DataFrame) -> str:
    n = int((configurations["status"] != "ok").sum()) if len(configurations) else 0
    return f"\n({n} configurations not ok, left out)" if n else ""


def _numeric_order(values) -> list[str]:
    # Parameters are strings as written in the grid; order them by value.
    return sorted(set(values), key=lambda v: (float(v) if v not in ("", None) else -np.inf, str(v)))


def _ok(configurations: pd.DataFrame) -> pd.DataFrame:
    if configurations.empty:
        return configurations
    return configurations[(configurations["status"] == "ok") & configurations["validation_accuracy_mean"].notna()]


def plot_width_depth(grid: pd.DataFrame, path: str | Path) -> None:
    """Draw validation accuracy over hidden width x layers, one panel per activation.

    Each cell shows the best mean validation accuracy over learning rate and
    iteration budget; a blank (grey) cell has no configuration with status ok.
    """
    configurations = summarise_configurations(grid)
    activations = sorted(grid["activation"].unique())
    widths = _numeric_order(grid["hidden"])
    depths = _numeric_order(grid["layers"])
    ok = _ok(configurations)

    figure, axes = plt.subplots(
        1, len(activations), figsize=(max(3.2 * len(activations) + 0.8, 5.0), 3.2), squeeze=False,
        constrained_layout=True,
    )
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="lightgrey")
    # One colour scale over all panels, spanning the accuracies drawn.
    low = float(ok["validation_accuracy_mean"].min()) if len(ok) else 0.0
    high = float(ok["validation_accuracy_mean"].max()) if len(ok) else 1.0
    if high - low < 1e-3:
        low, high = low - 0.01, high + 0.01
    image = None
    for panel, activation in zip(axes[0], activations):
        values = np.full((len(depths), len(widths)), np.nan)
        subset = ok[ok["activation"] == activation]
        for (depth, width), group in subset.groupby(["layers", "hidden"]):
            values[depths.index(depth), widths.index(width)] = group["validation_accuracy_mean"].max()
        image = panel.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=low, vmax=high, origin="lower")
        for i in range(len(depths)):
            for j in range(len(widths)):
                text = "–" if np.isnan(values[i, j]) else f"{values[i, j]:.3f}"
                colour = "white" if values[i, j] < (low + high) / 2 else "black"
                panel.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
        panel.set_xticks(range(len(widths)), widths)
        panel.set_yticks(range(len(depths)), depths)
        panel.set_xlabel("hidden neurons per layer")
        panel.set_ylabel("hidden layers")
        panel.set_title(activation)
    figure.colorbar(image, ax=axes[0].tolist(), label="validation accuracy", shrink=0.8)
    figure.suptitle(
        "Best validation accuracy over learning rate and iterations" + _left_out(configurations), fontsize=10
    )
    _save(figure, path)


def plot_accuracy_vs_parameters(grid: pd.DataFrame, path: str | Path) -> None:
    """Draw mean validation accuracy against parameter count (log x), one colour per activation."""
    configurations = summarise_configurations(grid)
    ok = _ok(configurations)
    figure, axes = plt.subplots(figsize=(5.5, 3.8), constrained_layout=True)
    if ok.empty:
        _empty(axes, "no configuration with status ok")
    else:
        for activation, group in ok.groupby("activation"):
            axes.scatter(group["n_parameters"], group["validation_accuracy_mean"], label=activation, s=18, alpha=0.8)
        axes.set_xscale("log")
        axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axes.set_xlabel("parameters")
        axes.set_ylabel("validation accuracy")
        axes.legend(title="activation", fontsize=8)
        axes.grid(alpha=0.3)
    axes.set_title("Validation accuracy against parameter count" + _left_out(configurations), fontsize=10)
    _save(figure, path)


def plot_loss_curves(grid: pd.DataFrame, cells: Mapping[str, Mapping], path: str | Path, top_n: int = 5) -> None:
    """Draw the training loss curves (dashed: validation) of the ``top_n`` configurations.

    ``cells`` maps cell names to loaded cell JSONs.  Each curve stops at the
    configuration's budget; every seed is drawn in the configuration's colour.
    """
    ranked = rank_configurations(grid).head(top_n)
    figure, axes = plt.subplots(figsize=(6.0, 4.0), constrained_layout=True)
    if ranked.empty:
        _empty(axes, "no configuration with status ok")
        _save(figure, path)
        return

    for rank, (_, configuration) in enumerate(ranked.iterrows(), start=1):
        colour = f"C{rank - 1}"
        seeds = grid[(grid["iterations"] == configuration["iterations"]) & (grid["status"] == "ok")]
        for column in config_columns(grid):
            seeds = seeds[seeds[column] == configuration[column]]
        label = (
            f"{rank}. {configuration.get('activation', '')} {configuration.get('layers', '')}x"
            f"{configuration.get('hidden', '')} lr {configuration.get('learning_rate', '')} "
            f"it {int(configuration['iterations'])}"
        )
        for index, name in enumerate(sorted(seeds["cell"])):
            if name not in cells:
                continue
            budget = int(configuration["iterations"])
            train = np.asarray(cells[name]["loss_curve"][:budget], dtype=float)
            axes.plot(np.arange(1, len(train) + 1), train, color=colour, lw=1.2, label=label if index == 0 else None)
            validation = cells[name].get("validation_loss_curve")
            if validation:
                validation = np.asarray(validation[:budget], dtype=float)
                axes.plot(np.arange(1, len(validation) + 1), validation, color=colour, lw=1.0, ls="--")
    axes.set_yscale("log")
    axes.set_xlabel("iteration")
    axes.set_ylabel("loss (dashed: validation)")
    axes.set_title(f"Loss curves of the top {len(ranked)} configurations", fontsize=10)
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3)
    _save(figure, path)


def plot_learning_rate_iterations(grid: pd.DataFrame, path: str | Path) -> None:
    """Draw validation accuracy against learning rate, one line per budget and one panel per activation.

    Each point is the best mean validation accuracy over width and depth.
    """
    configurations = summarise_configurations(grid)
    ok = _ok(configurations)
    activations = sorted(grid["activation"].unique())
    figure, axes = plt.subplots(
        1, len(activations), figsize=(max(3.4 * len(activations), 5.0), 3.4), squeeze=False, sharey=True,
        constrained_layout=True,
    )
    budgets = sorted(grid["iterations"].unique())
    for panel, activation in zip(axes[0], activations):
        subset = ok[ok["activation"] == activation]
        if subset.empty:
            _empty(panel, f"{activation}: nothing ok")
            continue
        for budget in budgets:
            best = subset[subset["iterations"] == budget].groupby("learning_rate")["validation_accuracy_mean"].max()
            if best.empty:
                continue
            rates = np.array([float(rate) for rate in best.index])
            order = np.argsort(rates)
            panel.plot(rates[order], best.to_numpy()[order], marker="o", ms=3, label=f"{budget} iterations")
        panel.set_xscale("log")
        panel.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        panel.set_xlabel("learning rate")
        panel.set_title(activation)
        panel.grid(alpha=0.3)
        panel.legend(fontsize=7)
    axes[0][0].set_ylabel("best validation accuracy")
    figure.suptitle(
        "Validation accuracy against learning rate, best over width and depth" + _left_out(configurations),
        fontsize=10,
    )
    _save(figure, path)


def draw_figures(
    grid: str | Path,
    cells: Sequence[str | Path],
    heatmap: str | Path,
    params: str | Path,
    curves: str | Path,
    lr: str | Path,
    top_n: int = 5,
) -> None:
    """Write the four figures of one study and dataset."""
    frame = read_grid(grid)
    if frame.empty:
        raise ValueError(f"grid {grid} has no rows. There is nothing to plot")
    loaded = {}
    for path in cells:
        cell = load_cell(path)
        loaded[cell["cell"]] = cell
    with plt.rc_context({"font.size": 9}):
        plot_width_depth(frame, heatmap)
        plot_accuracy_vs_parameters(frame, params)
        plot_loss_curves(frame, loaded, curves, top_n)
        plot_learning_rate_iterations(frame, lr)
