"""Reservoir computing with a trained AMN: learn uptake bounds from medium composition.

A trained AMN (or the exact FBA layer) is frozen; a small trainable layer in
front maps each medium's composition to uptake bounds, trained on measured
growth rates (or, :class:`ReservoirClassifier`, on grows / does-not-grow labels through a
logistic head).  The learned bounds are the biology: they can be applied to the
COBRApy model and used by plain FBA.
"""

from amn.reservoir.classifier import ReservoirClassifier
from amn.reservoir.medium import reservoir_medium
from amn.reservoir.model import ReservoirFBA, ReservoirRegressor, UptakeLayer

__all__ = ["ReservoirClassifier", "ReservoirFBA", "ReservoirRegressor", "UptakeLayer", "reservoir_medium"]
