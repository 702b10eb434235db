"""Medium design: the budget projection, the search, its FBA validation, and ``amn design``."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from cobra.flux_analysis import pfba
from scipy.optimize import minimize

import amn
from amn.cli import main
from amn.design import MediumDesigner, design_media, project_budget
from amn.errors import MediumError, ModelLoadError, UnknownReactionError
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.models import AMNRegressor, save_model
from amn.reservoir import ReservoirRegressor
from amn.solve.pfba import FluxProblem, HighsLabeler


@pytest.fixture(scope="module")
def core_data(textbook_net, tmp_path_factory):
    spec = core_medium(textbook_net)
    return amn.generate(textbook_net, RandomMedia(spec, 300), tmp_path_factory.mktemp("design") / "core.npz",
                        seed=0, progress=False)


@pytest.fixture(scope="module")
def tiny_amn(textbook_net, core_data):
    """AMN-QP trained briefly on 300 pFBA media (growth Q^2 about 0.98; a few seconds)."""
    return AMNRegressor(arch="amn-qp", network=textbook_net, epochs=40, seed=0).fit(core_data.X, core_data.Y)


def enumerated_optimum(network, estimator, k: int) -> float:
    """Best FBA growth over the media with k variable compounds at their maximum: FBA growth does not
    decrease when an upper bound rises, so these media dominate every medium within the budget."""
    lower, upper = np.array(estimator.input_min_), np.array(estimator.input_max_)
    variable = np.flatnonzero(upper > lower)
    labeler = HighsLabeler(FluxProblem.from_network(network, estimator.medium_), "fba")
    best = 0.0
    for subset in itertools.combinations(variable, k):
        bounds = lower.copy()
        bounds[list(subset)] = upper[list(subset)]
        best = max(best, labeler.label(bounds).growth)
    return best


# -- projection onto the budget ------------------------------------------------------------

def test_projection_closed_forms():
    y = torch.tensor([[3.0, -1.0, 0.5, 12.0]], dtype=torch.float64)
    lower, upper = torch.zeros(4, dtype=torch.float64), torch.full((4,), 10.0, dtype=torch.float64)
    assert torch.equal(project_budget(y, lower, upper), torch.tensor([[3.0, 0.0, 0.5, 10.0]], dtype=torch.float64))
    assert torch.equal(project_budget(y, lower, upper, 100.0), project_budget(y, lower, upper))
    # equal entries share the cut equally: (4, 4, 4) with total 6 -> (2, 2, 2)
    same = project_budget(torch.full((1, 3), 4.0, dtype=torch.float64), lower[:3], upper[:3], 6.0)
    assert torch.allclose(same, torch.full((1, 3), 2.0, dtype=torch.float64), atol=1e-12)
    # tau = 2.5 puts (3, 12) at (0.5, 9.5) and the others at 0: total 10
    assert torch.allclose(project_budget(y, lower, upper, 10.0),
                          torch.tensor([[0.5, 0.0, 0.0, 9.5]], dtype=torch.float64), atol=1e-12)


def slsqp_projection(y: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float) -> np.ndarray:
    """The projection by a generic solver: min ||x - y||^2 / 2 with the box and the total as constraints."""
    result = minimize(lambda x: 0.5 * np.sum((x - y) ** 2), x0=lower, jac=lambda x: x - y, method="SLSQP",
                      bounds=list(zip(lower, upper)),
                      constraints=[{"type": "ineq", "fun": lambda x: total - x.sum(), "jac": lambda x: -np.ones_like(x)}],
                      options={"ftol": 1e-14, "maxiter": 500})
    return result.x


def test_projection_matches_a_generic_solver():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(2, 8))
        y = rng.normal(3.0, 4.0, size=n)
        lower = rng.uniform(0.0, 1.0, size=n)
        upper = lower + rng.uniform(0.5, 5.0, size=n)
        total = float(rng.uniform(lower.sum(), upper.sum()))
        got = project_budget(torch.as_tensor(y[None]), torch.as_tensor(lower), torch.as_tensor(upper), total)[0].numpy()
        reference = slsqp_projection(y, lower, upper, total)
        assert got.sum() <= total + 1e-9 and (got >= lower).all() and (got <= upper).all()
        np.testing.assert_allclose(got, reference, atol=1e-6)


# -- the search ----------------------------------------------------------------------------

def test_design_respects_budget_bounds_and_levels(tiny_amn):
    designer = MediumDesigner(tiny_amn, max_compounds=3, max_total=15.0, restarts=6, steps=30)
    table = designer.design(top=5)
    medium = table[tiny_amn.medium_].to_numpy()
    lower, upper = np.array(tiny_amn.input_min_), np.array(tiny_amn.input_max_)
    variable = upper > lower
    assert (medium >= lower - 1e-12).all() and (medium <= upper + 1e-12).all()
    np.testing.assert_array_equal(medium[:, ~variable], np.broadcast_to(upper[~variable], medium[:, ~variable].shape))
    assert ((medium[:, variable] > 0).sum(1) <= 3).all() and (table["n_compounds"] <= 3).all()
    assert (medium[:, variable].sum(1) <= 15.0 + 1e-9).all()
    steps = medium[:, variable] / 2.5  # five levels over 0..10
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)
    assert table["amn_objective"].is_monotonic_decreasing
    assert not table.duplicated(subset=tiny_amn.medium_).any()


def test_levels_of_a_medium_file_are_the_drawing_levels(tiny_amn, textbook_net):
    designer = MediumDesigner(tiny_amn, max_compounds=2, levels=core_medium(textbook_net))
    for grid in designer.grids:
        np.testing.assert_allclose(grid, [0.0, 2.5, 5.0, 7.5, 10.0])


def test_design_is_deterministic_given_the_seed(tiny_amn):
    first = design_media(tiny_amn, max_compounds=2, top=5, restarts=4, steps=20, seed=3)
    again = design_media(tiny_amn, max_compounds=2, top=5, restarts=4, steps=20, seed=3)
    pd.testing.assert_frame_equal(first, again)


def test_fba_validation_equals_cobrapy(tiny_amn, textbook_net):
    table = design_media(tiny_amn, objective="EX_ac_e", max_compounds=2, top=4, restarts=4, steps=20)
    model = textbook_net.model.copy()
    for _, row in table.iterrows():
        with model:
            for rid in textbook_net.uptake_ids:
                model.reactions.get_by_id(rid).upper_bound = 0.0
            for rid in tiny_amn.medium_:
                model.reactions.get_by_id(rid).upper_bound = row[rid]
            assert row["fba_growth"] == pytest.approx(model.optimize().objective_value, rel=1e-7)
            fluxes = pfba(model).fluxes
        # an original exchange id: its flux is outflow - inflow
        assert row["fba_objective"] == pytest.approx(fluxes["EX_ac_e_o"] - fluxes["EX_ac_e_i"], rel=1e-6, abs=1e-6)
        assert row["difference"] == pytest.approx(row["amn_objective"] - row["fba_objective"])


def test_exact_model_finds_the_enumerated_optimum(textbook_net, core_data):
    """With the exact pFBA layer as the model, only the search can miss the optimum."""
    exact = AMNRegressor(arch="amn-exact", network=textbook_net, epochs=0).fit(core_data.X, core_data.Y)
    table = MediumDesigner(exact, max_compounds=2, restarts=6, steps=30).design(top=1)
    assert table["fba_growth"].iloc[0] == pytest.approx(enumerated_optimum(textbook_net, exact, 2), rel=1e-7)
    assert table["difference"].abs().iloc[0] < 1e-6


def test_tiny_amn_reaches_the_enumerated_optimum(tiny_amn, textbook_net):
    table = MediumDesigner(tiny_amn, max_compounds=2).design(top=3)
    assert table["fba_growth"].iloc[0] >= 0.95 * enumerated_optimum(textbook_net, tiny_amn, 2)
    assert not table["disagree"].iloc[0]


def test_reservoir_design_gives_compositions(tiny_amn):
    compounds = ["EX_fru_e_i", "EX_pyr_e_i", "EX_succ_e_i", "EX_ac_e_i"]
    compositions = pd.DataFrame(list(itertools.product((0.0, 1.0), repeat=4)), columns=compounds)
    base = np.where(np.equal(tiny_amn.input_min_, tiny_amn.input_max_), tiny_amn.input_max_, 0.0)
    media = pd.DataFrame(np.tile(base, (len(compositions), 1)), columns=tiny_amn.medium_)
    media[compounds] = 10.0 * compositions
    growth = tiny_amn.predict(media)
    reservoir = ReservoirRegressor(tiny_amn, max_iter=5).fit(compositions, growth)
    table = MediumDesigner(reservoir, max_compounds=2, restarts=4, steps=20).design(top=3)
    assert (table["n_compounds"] <= 2).all()
    assert set(" + ".join(table["compounds"]).split(" + ")) <= set(compounds)
    assert {"fba_growth", "amn_objective", *tiny_amn.medium_} <= set(table.columns)


def test_bad_input_raises_one_line_errors(tiny_amn, tmp_path):
    cases = [
        (UnknownReactionError, {"objective": "NOT_A_REACTION", "max_compounds": 2}),
        (MediumError, {"max_compounds": 0}),
        (MediumError, {}),
        (MediumError, {"max_total": -1.0}),
    ]
    for error, options in cases:
        with pytest.raises(error) as info:
            MediumDesigner(tiny_amn, **options)
        assert "\n" not in str(info.value)
    with pytest.raises(ModelLoadError, match="no such model directory"):
        MediumDesigner(tmp_path / "missing", max_compounds=2)
    media = pd.DataFrame(np.linspace(0, 1, 8)[:, None] * np.array(tiny_amn.input_max_), columns=tiny_amn.medium_)
    dense = AMNRegressor(arch="ann-dense", network=tiny_amn.network_, epochs=1).fit(media, np.arange(8.0))
    with pytest.raises(UnknownReactionError, match="does not predict EX_ac_e_o"):
        MediumDesigner(dense, objective="EX_ac_e_o", max_compounds=2)
    assert len(MediumDesigner(dense, max_compounds=2, restarts=2, steps=5).design(top=1)) == 1  # growth it predicts


# -- command line ----------------------------------------------------------------------------

def test_cli_designs_media_that_predict_reads(tiny_amn, tmp_path):
    save_model(tiny_amn, tmp_path / "model")
    runner = CliRunner()
    out = tmp_path / "media.csv"
    result = runner.invoke(main, ["design", "--model", str(tmp_path / "model"), "--max-compounds", "2",
                                  "--restarts", "4", "--steps", "20", "--top", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns[:10]) == ["rank", "compounds", "n_compounds", "amn_objective", "fba_objective",
                                        "difference", "disagree", "amn_growth", "fba_growth", "fba_status"]
    assert len(table) == 3 and (table["n_compounds"] <= 2).all()
    predicted = runner.invoke(main, ["predict", str(tmp_path / "model"), "--media", str(out),
                                     "--out", str(tmp_path / "fluxes.csv")])
    assert predicted.exit_code == 0, predicted.output
    growth = pd.read_csv(tmp_path / "fluxes.csv")[tiny_amn.network_.objective_id]
    np.testing.assert_allclose(growth, table["amn_growth"], rtol=1e-5)

    for args, message in [
        (["--model", str(tmp_path / "nowhere"), "--max-compounds", "2"], "no such model directory"),
        (["--model", str(tmp_path / "model"), "--max-compounds", "0"], "--max-compounds: 0 is not in the range x>=1"),
        (["--model", str(tmp_path / "model"), "--objective", "FOO", "--max-compounds", "2"], "objective FOO"),
        (["--model", str(tmp_path / "model"), "--lr", "nan"], "--lr: 'nan' is not a finite number"),  # ran before
        (["--model", str(tmp_path / "model"), "--max-total", "nan"], "--max-total: 'nan' is not a finite number"),
        (["--model", str(tmp_path / "model"), "--tolerance", "-1"], "--tolerance: -1.0 is not in the range x>=0"),
        (["--model", str(tmp_path / "model"), "--top", "0"], "--top: 0 is not in the range x>=1"),
    ]:
        bad = runner.invoke(main, ["design", *args, "--out", str(tmp_path / "x.csv")])
        assert bad.exit_code == 2
        lines = bad.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("amn: error:") and message in lines[0]
