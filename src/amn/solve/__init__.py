"""Reference solvers: LPs of metabolic networks solved with HiGHS."""

from amn.solve.highs import HighsLP, LPSolution

__all__ = ["HighsLP", "LPSolution"]
