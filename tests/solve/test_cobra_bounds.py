"""Uptake bounds exported to COBRApy: applying one medium, restoring the model, checking predictions;
and the report (figures, method table, Markdown)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from amn.errors import DatasetMismatchError, UnknownReactionError
from amn.evaluation.figures import figure_stem, plot_predicted_vs_measured
from amn.evaluation.report import PUBLISHED, method_table, write_report
from amn.evaluation.validation import CVResult
from amn.solve.cobra_bounds import (
    apply_uptake_bounds,
    bounds_table,
    check_bounds,
    read_bounds,
    uptake_bounds,
)

MEDIUM = {"EX_glc__D_e_i": 4.0, "EX_nh4_e_i": 10.0, "EX_pi_e_i": 10.0, "EX_o2_e_i": 12.0, "EX_h2o_e_i": 100.0}


def bounds_of(model):
    return [(r.id, r.lower_bound, r.upper_bound) for r in model.reactions]


def test_context_restores_the_model(textbook_net):
    model = textbook_net.model
    before = bounds_of(model)
    with uptake_bounds(model, MEDIUM) as inside:
        assert inside.reactions.EX_glc__D_e_i.upper_bound == 4.0
        assert inside.reactions.EX_fru_e_i.upper_bound == 0.0  # not in the medium: closed
        assert inside.reactions.EX_glc__D_e_o.upper_bound > 0  # outflows untouched
    assert bounds_of(model) == before
    with pytest.raises(RuntimeError), model:
        apply_uptake_bounds(model, MEDIUM)
        raise RuntimeError("inside the block")
    assert bounds_of(model) == before


def test_same_growth_on_the_original_and_the_unidirectional_model(textbook, textbook_net):
    before = bounds_of(textbook)
    with uptake_bounds(textbook, MEDIUM):
        assert textbook.reactions.EX_glc__D_e.lower_bound == -4.0
        assert textbook.reactions.EX_fru_e.lower_bound == 0.0
        original = textbook.slim_optimize()
    with uptake_bounds(textbook_net.model, MEDIUM):
        unidirectional = textbook_net.model.slim_optimize()
    assert original == pytest.approx(unidirectional) and original > 0.1
    assert bounds_of(textbook) == before


def test_check_bounds_reports_agreement(textbook_net):
    table = bounds_table(
        [[4.0, 10.0, 10.0, 12.0, 100.0], [8.0, 10.0, 10.0, 12.0, 100.0], [0.0, 10.0, 10.0, 12.0, 100.0]],
        list(MEDIUM),
        index=["low", "high", "none"],
    )
    truth = []
    for _, row in table.iterrows():
        with uptake_bounds(textbook_net.model, row):
            value = textbook_net.model.slim_optimize()
            truth.append(0.0 if np.isnan(value) else value)  # no carbon: ATP maintenance infeasible
    agreement = check_bounds(textbook_net.model, table, truth)
    assert agreement.max_abs_diff < 1e-9 and agreement.r2 == pytest.approx(1.0)
    assert agreement.table.loc["none", "fba"] == 0.0 and "3 media" in agreement.summary()
    off = check_bounds(textbook_net.model, table, np.array(truth) * 1.1)
    assert off.max_abs_diff == pytest.approx(0.1 * max(truth)) and off.r2 < 1.0


def test_bounds_table_validation_and_round_trip(tmp_path, textbook_net):
    with pytest.raises(DatasetMismatchError, match=">= 0"):
        bounds_table([[1.0, -1.0]], ["EX_glc__D_e_i", "EX_o2_e_i"])
    table = bounds_table([[1.0, 2.0]], ["EX_glc__D_e_i", "EX_o2_e_i"])
    table.to_csv(tmp_path / "bounds.csv")
    pd.testing.assert_frame_equal(read_bounds(tmp_path / "bounds.csv"), table, check_index_type=False)
    with pytest.raises(UnknownReactionError, match="no uptake for EX_xyz_e_i"):
        apply_uptake_bounds(textbook_net.model, {"EX_xyz_e_i": 1.0})


def test_figures_and_report(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.random(30)
    result = CVResult("ridge", "regression", y, y + rng.normal(scale=0.05, size=(2, 30)),
                      np.zeros((2, 30), dtype=int), (0, 1))
    paths = plot_predicted_vs_measured(result, figure_stem(tmp_path, result))
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size > 1000 for p in paths)
    svg = paths[1].read_text()
    assert "identity" in svg and "Q²" in svg
    table = method_table([result], notes={"ridge": "indicators"})
    assert table.iloc[0]["published"] == PUBLISHED["ridge"] and table.iloc[0]["q2 (ours)"].startswith(f"{result.mean():.3f} ±")
    assert "AMN-LP" in set(table["method"])  # published rows not run here are listed
    report = write_report(tmp_path / "sub" / "report.md", table, paths, sections={"Notes": "text"})
    text = report.read_text()
    assert "| ridge |" in text and "## Notes" in text and "](../pred_vs_measured_ridge.png)" in text
