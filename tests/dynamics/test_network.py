"""The base of a dynamic model's medium: E. coli's M9 salts, the model's own salts, or ids; a base
on which nothing grows is refused."""

from __future__ import annotations

import numpy as np
import pytest

from amn.dynamics.network import BASE_M9, OPEN, dynamic_network, forced_reactions, label
from amn.errors import MediumError, ParameterError, UnknownReactionError

COMPOUNDS = ["glc__D_e", "ac_e"]


def test_model_base_is_the_model_files_open_uptakes_without_carbon(textbook):
    dn = dynamic_network(textbook, COMPOUNDS, base="model", reduce=False)
    salts = {f"{rid}_i" for rid in textbook.medium  # COBRApy's reading of the file's medium
             if "C" not in textbook.reactions.get_by_id(rid).reactants[0].elements}
    assert set(dn.base) == salts - {"EX_glc__D_e_i", "EX_ac_e_i"}
    assert "EX_co2_e_i" not in dn.base and "EX_nh4_e_i" in dn.base  # CO2 holds carbon; ammonium is a salt here
    with textbook as model:  # growth on that base with 10 of glucose is COBRApy's FBA of the same bounds
        model.medium = {**{b[:-2]: (20.0 if b == "EX_o2_e_i" else OPEN) for b in dn.base}, "EX_glc__D_e": 10.0}
        assert [r.id for r in forced_reactions(model)] == ["ATPM"]  # the maintenance the dynamic model frees
        model.reactions.ATPM.lower_bound = 0.0
        reference = model.slim_optimize()
    _, growth = label(dn.network, dn.medium, dn.base_bounds, np.array([[10.0, 0.0]]))
    assert growth[0] == pytest.approx(reference, rel=1e-6)


def test_m9_salts_the_model_lacks_are_named(textbook):
    exchanges = {r.id for r in textbook.exchanges}
    lacking = [r for r in BASE_M9 if r[:-2] not in exchanges]
    with pytest.warns(UserWarning, match=rf"has no uptake for {len(lacking)} of the {len(BASE_M9)} M9 base uptakes "
                                          rf"\({lacking[0]}, {lacking[1]}"):
        dn = dynamic_network(textbook, COMPOUNDS, reduce=False)
    assert dn.base == [r for r in BASE_M9 if r[:-2] in exchanges]


def test_a_base_on_which_nothing_grows_or_unknown_ids_are_refused(textbook):
    with pytest.raises(MediumError, match=r"^m.csv: model \S+ grows in none of 20 random media of the compounds "
                                          r"glc__D_e, ac_e on the base EX_o2_e_i: the base lacks an uptake"):
        dynamic_network(textbook, COMPOUNDS, base=["EX_o2_e_i"], reduce=False, source="m.csv")  # no N, no P
    with pytest.raises(UnknownReactionError, match=r"^base: not uptakes of model \S+: EX_nothing_i$"):
        dynamic_network(textbook, COMPOUNDS, base=["EX_o2_e_i", "EX_nothing_i"])
    with pytest.raises(ParameterError, match="base must be one of m9, model or uptake ids, got 'salts'"):
        dynamic_network(textbook, COMPOUNDS, base="salts")


def test_compounds_map_to_their_uptakes_whatever_the_exchange_ids(textbook):
    """Another naming scheme (exchanges not called EX_<metabolite>): a metabolite column still finds its exchange,
    as COBRApy's boundary reactions say; exchange ids, R_ prefixes and unit hints name it too."""
    from amn.dynamics.network import compound_uptakes
    from amn.network import make_unidirectional

    model = textbook.copy()
    model.reactions.get_by_id("EX_glc__D_e").id = "r_1714"
    model.reactions.get_by_id("EX_o2_e").id = "r_1992"
    model.reactions.get_by_id("ATPM").id = "r_4046"
    model.repair()
    network = make_unidirectional(model)
    exchange = next(r.id for r in model.boundary if "glc__D_e" in {m.id for m in r.metabolites})
    assert exchange == "r_1714"
    assert compound_uptakes(network, ["glc__D_e", "R_EX_ac_e", "o2_e (mM)"], "m.csv") == [
        "r_1714_i", "EX_ac_e_i", "r_1992_i"]
    assert compound_uptakes(network, ["r_1714"], "m.csv") == ["r_1714_i"]
    with pytest.raises(UnknownReactionError, match=r"m\.csv: column r_1714: the same uptake r_1714_i as column glc__D_e"):
        compound_uptakes(network, ["glc__D_e", "r_1714"], "m.csv")
    with pytest.raises(UnknownReactionError, match=r"m\.csv: column foo_e: no uptake of model e_coli_core"):
        compound_uptakes(network, ["foo_e"], "m.csv")
    # oxygen is found by its formula: its bound is the oxygen limit, the other salts stay open
    dn = dynamic_network(model, ["glc__D_e"], base="model", oxygen=7.5, reduce=False)
    assert dict(zip(dn.base, dn.base_bounds))["r_1992_i"] == 7.5
    assert sorted(set(dn.base_bounds)) == [7.5, OPEN]
    # maintenance is freed whatever its id: no substrate, no growth (not an infeasible LP)
    _, growth = label(dn.network, dn.medium, dn.base_bounds, np.array([[0.0], [10.0]]))
    assert growth[0] == 0.0 and growth[1] > 0.5
