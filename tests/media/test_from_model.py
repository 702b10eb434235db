"""Media read off a model, against COBRApy's own reading of it (``model.medium``, formulas, FBA)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from amn.cli import main
from amn.dataset import load_dataset
from amn.errors import MediumError, ParameterError, UnknownReactionError
from amn.media import read_medium
from amn.media.from_model import model_medium
from amn.solve.composition import sole_uptake_growth


def _cobra_sources(textbook, element: str, exclude) -> list[str]:
    return [f"{r.id}_i" for r in textbook.exchanges
            if f"{r.id}_i" not in exclude and any(element in m.elements for m in r.metabolites)]


def test_the_model_base_is_cobrapys_medium_and_the_variable_uptakes_hold_the_element(textbook, textbook_net):
    spec = model_medium(textbook_net, "carbon", levels=4, max_value=8.0, ratio=0.3)
    base = {f"{exchange}_i": bound for exchange, bound in textbook.medium.items()}
    assert dict(zip(spec.minimal, spec.max_value[spec.level <= 1])) == base
    assert sorted(spec.variable) == sorted(_cobra_sources(textbook, "C", base))
    assert (spec.level[spec.level > 1] == 4).all() and (spec.max_value[spec.level > 1] == 8.0).all()
    assert spec.ratio_drawing == 0.3


def test_the_salts_base_drops_what_holds_the_element(textbook, textbook_net):
    spec = model_medium(textbook_net, "nitrogen", base="salts")
    salts = {f"{e}_i": b for e, b in textbook.medium.items()
             if not any("N" in m.elements for m in textbook.reactions.get_by_id(e).metabolites)}
    assert dict(zip(spec.minimal, spec.max_value[spec.level <= 1])) == salts
    assert "EX_nh4_e_i" in spec.variable and "EX_nh4_e_i" not in spec.minimal
    assert sorted(spec.variable) == sorted(_cobra_sources(textbook, "N", salts))


def test_sole_uptake_growth_is_cobrapys_fba(textbook, textbook_net):
    spec = model_medium(textbook_net, "carbon", base="salts", max_value=10.0)
    base_growth, alone = sole_uptake_growth(textbook_net, spec)

    def cobra_growth(open_bounds: dict[str, float]) -> float:
        with textbook:
            for exchange in textbook.exchanges:
                exchange.lower_bound = 0.0
            for uptake, bound in open_bounds.items():
                textbook.reactions.get_by_id(uptake[:-2]).lower_bound = -bound
            value = textbook.slim_optimize(error_value=np.nan)
        return 0.0 if np.isnan(value) else value

    base = dict(zip(spec.minimal, spec.max_value[spec.level <= 1]))
    assert base_growth == pytest.approx(cobra_growth(base), abs=1e-7) == 0.0  # no carbon: no growth
    expected = [cobra_growth({**base, source: 10.0}) for source in spec.variable]
    np.testing.assert_allclose(alone, expected, rtol=1e-6, atol=1e-7)
    assert 0 < (alone > 1e-6).sum() < len(alone)  # glucose grows, CO2 does not


def test_bad_settings(textbook_net):
    with pytest.raises(UnknownReactionError, match="variable: not uptakes of model e_coli_core: EX_nope_e_i"):
        model_medium(textbook_net, ["EX_glc__D_e_i", "EX_nope_e_i"])
    with pytest.raises(ParameterError, match="base 'salts' removes"):
        model_medium(textbook_net, ["EX_fru_e_i"], base="salts")
    with pytest.raises(ParameterError, match="nutrient must be one of carbon, nitrogen"):
        model_medium(textbook_net, "sulfur")
    with pytest.raises(MediumError, match="no variable uptake outside the base"):
        model_medium(textbook_net, ["EX_glc__D_e_i"])  # open in the model: it is in the base
    for setting in ({"levels": 1}, {"max_value": 0.0}, {"ratio": 1.5}):
        with pytest.raises(ParameterError):
            model_medium(textbook_net, "carbon", **setting)


def test_medium_command_writes_a_file_that_generate_reads(tmp_path):
    runner = CliRunner()
    out = tmp_path / "medium.csv"
    result = runner.invoke(main, ["medium", "textbook", "--variable", "carbon", "--base", "salts", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "FBA growth on the base alone: 0 1/h; variable uptakes that grow when opened alone on the base:" in result.output
    spec = read_medium(out)
    assert "EX_glc__D_e_i" in spec.variable and "EX_pi_e_i" in spec.minimal
    data = tmp_path / "d.npz"
    result = runner.invoke(main, ["generate", "--medium", str(out), "--size", "20", "--quiet", "--out", str(data)])
    assert result.exit_code == 0, result.output
    assert list(load_dataset(data).X.columns) == list(spec.reaction_ids)
    table = pd.read_csv(out, index_col=0)
    assert table.loc["level"].astype(float).max() == 5.0
    for args, needle in ((["--variable", "EX_glc__D_e_i,,EX_fru_e_i"], ("--variable: 'EX_glc__D_e_i,,EX_fru_e_i' holds an "
                                                                       "empty id")),
                         (["--variable", "EX_nope_e_i"], "--variable: not uptakes of model e_coli_core: EX_nope_e_i"),
                         (["--variable", "EX_fru_e_i", "--base", "salts"], "--base 'salts' removes the --variable nutrient's element"),
                         (["--variable", "carbon", "--levels", "1"], "--levels: 1 is not in the range x>=2")):
        result = runner.invoke(main, ["medium", "textbook", *args, "--out", str(tmp_path / "bad.csv")])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and needle in lines[0], result.output
        assert not (tmp_path / "bad.csv").exists()
