"""Essential uptakes against a plain COBRApy screen."""

from __future__ import annotations

import cobra
import pytest

from amn.solve import essential_uptakes


def cobra_screen(model: cobra.Model, threshold: float = 1e-6) -> list[str]:
    """The published definition, done with COBRApy on the original model."""
    essential = []
    with model:
        for ex in model.exchanges:
            ex.lower_bound = -1000.0
        for ex in model.exchanges:
            with model:
                ex.lower_bound = 0.0
                growth = model.slim_optimize()
            if not growth >= threshold:
                essential.append(f"{ex.id}_i")
    return essential


def test_essential_uptakes_match_cobra_e_coli_core(textbook, textbook_net):
    expected = cobra_screen(textbook)
    assert essential_uptakes(textbook_net) == expected
    assert expected == ["EX_pi_e_i"]  # the only P source; N and C have alternatives when all is open


@pytest.mark.slow
def test_essential_uptakes_match_cobra_iml1515(iml1515):
    original, network = iml1515
    got = essential_uptakes(network)
    assert got == cobra_screen(original)
    assert len(got) > 0


def test_network_lp_is_cobrapys_fba(textbook_net):
    from amn.solve import HighsLP

    solution = HighsLP.from_network(textbook_net).solve()
    assert solution.optimal and solution.objective == pytest.approx(textbook_net.model.slim_optimize(), rel=1e-9)
