"""Reference solvers on metabolic networks: HiGHS LPs kept warm, FBA/pFBA labellers, essential
uptakes, FBA of composition tables (:class:`UptakeModel`) and learned bounds applied to COBRApy."""

from amn.solve.cobra_bounds import (
           Agreement,
           apply_uptake_bounds,
           check_bounds,
           uptake_bounds,
)
from amn.solve.composition import UptakeModel
from amn.solve.essential import essential_uptakes
from amn.solve.highs import HighsLP, LPSolution

__all__ = ["Agreement", "HighsLP", "LPSolution", "UptakeModel", "apply_uptake_bounds", "check_bounds",
           "essential_uptakes", "uptake_bounds"]
