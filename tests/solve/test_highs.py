"""HighsLP against COBRApy, whatever other HiGHS instances the process runs."""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from amn.errors import SolverError
from amn.solve import HighsLP


def _run_other_highs(threads: int) -> None:
    """A user's own HiGHS instance, asking for ``threads``, solved before ours (a one-column LP)."""
    other = highspy.Highs()
    other.setOptionValue("output_flag", False)
    other.setOptionValue("threads", threads)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 1, 0
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.array([1.0]), np.array([0.0]), np.array([1.0])
    other.passModel(lp)
    other.run()
    assert other.getModelStatus() == highspy.HighsModelStatus.kOptimal


@pytest.mark.parametrize("threads", [1, 2])
def test_growth_unchanged_after_another_highs_instance_set_its_threads(textbook, textbook_net, threads):
    # HiGHS's thread scheduler is global: the first instance to run sets its size for the process
    highspy.Highs.resetGlobalScheduler(True)
    _run_other_highs(threads)
    solution = HighsLP.from_network(textbook_net).solve()
    assert solution.optimal and solution.objective == pytest.approx(textbook.slim_optimize(), rel=1e-7)


class _Refusing:
    """Stands in for a HiGHS instance whose every run() returns unsolved (what a refused option does)."""

    def __init__(self) -> None:
        self.runs = 0
        self.options = {"threads": 1}

    def run(self) -> None:
        self.runs += 1

    def getModelStatus(self):
        return highspy.HighsModelStatus.kNotset

    def modelStatusToString(self, status) -> str:
        return "Not Set"

    def getOptionValue(self, name):
        return highspy.HighsStatus.kOk, self.options.get(name, 0)

    def setOptionValue(self, name, value) -> None:
        self.options[name] = value


def test_a_solve_that_highs_refuses_raises_instead_of_reading_as_infeasible(textbook_net):
    lp = HighsLP.from_network(textbook_net)
    lp._highs = _Refusing()
    with pytest.raises(SolverError, match="did not solve the LP of"):
        lp.solve()
    assert lp._highs.runs == 2  # retried once with the process's thread scheduler as it is
