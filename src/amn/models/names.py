"""The architectures' names and one-line summaries, apart from their modules.

The command line lists the names in its help without importing PyTorch;
:mod:`amn.models.architectures` builds one :class:`~amn.models.architectures.Architecture`
record per name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: Name -> one line for documentation and help, in documentation order; read-only.
ARCHITECTURE_SUMMARIES: Mapping[str, str] = MappingProxyType({
    "ann-dense": "dense network, medium -> measured fluxes only (the baseline)",
    "ann-sv": "dense network, medium -> every flux, ||S V||^2, bound and sign terms in the loss",
    "amn-w": "dense prior, then RNN-W: propagation through metabolites with learned branching ratios (AMN-Wt)",
    "amn-eb": "dense prior, then RNN-EB: the primal-dual projection LP network, exact uptakes",
    "amn-ub": "dense prior, then RNN-UB: the LP network with uptake upper bounds",
    "amn-qp": "dense prior, then QP: gradient descent with momentum on the constraint violations (AMN-QP)",
    "amn-pdhg": "dense prior, then PDHG: restarted Halpern primal-dual steps on the pFBA-like problem",
    "amn-ipm": "dense prior, then an interior-point method on the pFBA-like problem (steady states)",
    "amn-exact": "a learned scale per medium input, then pFBA solved exactly by HiGHS (ExactFBA)",
})

#: The architecture names, in documentation order (the command line's choices).
ARCHITECTURES: tuple[str, ...] = tuple(ARCHITECTURE_SUMMARIES)
