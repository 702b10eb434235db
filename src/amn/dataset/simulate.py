"""Simulated growth / no-growth screens: one carbon (or nitrogen) source per medium on a minimal base.

The tables modellers bring from phenotype screens (Biolog plates, sole-source
growth tests) have one medium per row: a base medium without the nutrient
screened, plus one source of it, and a grows / does-not-grow label.
:func:`simulate_growth_screen` builds such a table from a genome-scale model so
that methods can be tested where the truth is known: the label is FBA growth
above a threshold, with a seeded fraction of the labels flipped (the
measurement errors of a real screen).  Compositions come as presence (0/1) or
as uptake bounds (mmol/gDW/h).  With ``knockouts``, every source is screened in
the wild type and in each single knockout (a gene or a reaction, one 0/1 column
each, 1 = knocked out): a knockout screen, as in the published AMN's growth of
gene knockouts across media.

Since every medium holds one source and every source one medium, a row-wise
K-fold is a split by source: every held-out medium has a source never seen in
training, which is where composition-only models can only guess.  A knockout
screen has several rows per source: split it by ``GrowthScreen.source``
(scikit-learn ``GroupKFold``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from amn.errors import MediumError, ParameterError, UnknownReactionError, id_list
from amn.media.from_model import default_base, element_of, nutrient_sources
from amn.media.spec import MediumSpec
from amn.network.unidirectional import ensure_network
from amn.solve.composition import UptakeModel

#: Name of the 0/1 target column.
TARGET = "grows"


@dataclass(frozen=True)
class GrowthScreen:
    """A simulated screen (see :func:`simulate_growth_screen`).

    Attributes
    ----------
    table : pandas.DataFrame
        One medium per row: the base uptakes, then the source uptakes (unidirectional ids,
        ``<exchange>_i``), then the knockout columns (0/1, 1 = knocked out), then the 0/1 target
        ``grows``; what a user's CSV would hold.
    growth : pandas.Series
        The FBA growth of each row (0 where the LP has no optimum).
    source : pandas.Series
        The source uptake id of each row.
    flipped : numpy.ndarray of bool
        The media whose label was flipped.
    medium : MediumSpec
        The base (level 1, at its bounds) and the sources (variable up to the largest source
        bound, about one per draw): the medium file of the screen, for the FBA baselines
        and for training-set generation.
    composition : {"presence", "bounds"}
    threshold : float
        Growth above which a medium grows (before the flips).
    knockout_ids : tuple of str
        The knockout columns (genes or reactions of the network); empty for a plain screen.
    """

    table: pd.DataFrame
    growth: pd.Series
    source: pd.Series
    flipped: np.ndarray
    medium: MediumSpec
    composition: str
    threshold: float
    knockout_ids: tuple[str, ...] = ()

    @property
    def base_ids(self) -> list[str]:
        """The uptakes open in every medium."""
        return list(self.medium.minimal)

    @property
    def source_ids(self) -> list[str]:
        """The source uptakes (one open per medium)."""
        return list(self.medium.variable)

    def write(self, table: str | Path, medium: str | Path | None = None) -> None:
        """Write the table (CSV, no index) and optionally the medium file (:meth:`MediumSpec.write`)."""
        self.table.to_csv(table, index=False)
        if medium is not None:
            self.medium.write(medium)


def simulate_growth_screen(
    network,
    *,
    nutrient: Literal["carbon", "nitrogen"] = "carbon",
    base: Mapping[str, float] | None = None,
    sources: Sequence[str] | None = None,
    bound: float | Sequence[float] = 10.0,
    threshold: float = 0.01,
    flip: float = 0.05,
    composition: Literal["presence", "bounds"] = "presence",
    n_media: int | None = None,
    knockouts: Sequence[str] = (),
    seed: int = 0,
) -> GrowthScreen:
    """A growth / no-growth table from FBA on ``network``: one ``nutrient`` source per medium.

    Every medium is the base plus one source at ``bound``; its label is
    ``FBA growth > threshold``, then ``round(flip * n)`` labels chosen at random
    are flipped.  With ``knockouts`` each medium is a row for the wild type and
    one for each single knockout (source-major order), FBA run with the reactions
    the knockout removes closed.  Deterministic given ``seed``.

    Parameters
    ----------
    network : UnidirectionalNetwork or model source
        Anything :func:`~amn.network.ensure_network` accepts (a path, a BiGG id of the data directory).
    nutrient : {"carbon", "nitrogen"}, default "carbon"
        The element screened (C or N in the metabolite's formula).
    base : mapping of str to float, optional
        Uptake id -> bound of the base medium [default: :func:`default_base`].
    sources : sequence of str, optional
        Source uptake ids [default: every uptake whose metabolite holds the element, minus the base].
    bound : float or sequence of float, default 10.0
        The source's uptake bound (mmol/gDW/h); a sequence: each medium draws one of its values.
    threshold : float, default 0.01
        Growth (1/h) above which a medium grows: a detection limit.
    flip : float, default 0.05
        Fraction of labels flipped, in [0, 0.5).
    composition : {"presence", "bounds"}, default "presence"
        Table cells: 1 for an open uptake, or its bound (the base at its bound too).
    n_media : int, optional
        Screen a seeded sample of this many sources [default: all].
    knockouts : sequence of str, optional
        Genes or reactions of ``network``, each knocked out alone in every medium.
    seed : int, default 0

    Returns
    -------
    GrowthScreen

    Raises
    ------
    ParameterError
        A parameter outside its domain.
    UnknownReactionError
        ``base`` or ``sources`` name reactions that are not uptakes of ``network``.
    MediumError
        No source left to screen.
    UnknownGeneError
        A knockout names neither a gene nor a reaction of ``network``.
    """
    network = ensure_network(network)
    element_of(nutrient)  # a known nutrient, checked before any work
    if composition not in ("presence", "bounds"):
        raise ParameterError(f"composition must be 'presence' or 'bounds' (got {composition!r})")
    if not 0.0 <= flip < 0.5:
        raise ParameterError(f"flip must be in [0, 0.5) (got {flip})")
    bounds_drawn = np.atleast_1d(np.asarray(bound, dtype=float))
    if bounds_drawn.size == 0 or not (np.isfinite(bounds_drawn) & (bounds_drawn > 0)).all():
        raise ParameterError(f"bound must be positive (got {bound})")
    base = dict(default_base(network, nutrient) if base is None else base)
    uptakes = set(network.uptake_ids)
    if sources is None:
        sources = nutrient_sources(network, nutrient, exclude=base)
    unknown = [r for r in [*base, *sources] if r not in uptakes]
    if unknown:
        raise UnknownReactionError(f"not uptakes of model {network.model_id}: {id_list(unknown)}")
    sources = [r for r in sources if r not in base]
    if not sources:
        raise MediumError(f"model {network.model_id}: no {nutrient} source to screen outside the base medium")
    rng = np.random.default_rng(seed)
    if n_media is not None:
        if not 1 <= n_media <= len(sources):
            raise ParameterError(f"n_media must be in 1..{len(sources)} (got {n_media})")
        sources = [sources[j] for j in np.sort(rng.choice(len(sources), n_media, replace=False))]
    base_ids = list(base)
    n = len(sources)
    source_bound = rng.choice(bounds_drawn, size=n)
    medium = MediumSpec(
        tuple(base_ids + sources),
        np.r_[np.ones(len(base_ids)), np.full(n, 101.0)],
        np.r_[[float(base[r]) for r in base_ids], np.full(n, float(bounds_drawn.max()))],
        min(1.0, 1.0 / n),
        source=f"{nutrient} screen of {network.model_id}",
    )
    bounds = np.zeros((n, len(base_ids) + n))
    bounds[:, : len(base_ids)] = [base[r] for r in base_ids]
    bounds[np.arange(n), len(base_ids) + np.arange(n)] = source_bound
    knockouts = list(dict.fromkeys(knockouts))
    uptake_model = UptakeModel(network, base_ids + sources, MediumSpec(
        tuple(base_ids), np.ones(len(base_ids)), np.array([float(base[r]) for r in base_ids]), 0.0, source="base"),
        knockout_ids=knockouts)
    per_source = 1 + len(knockouts)  # the wild type, then each single knockout
    bounds = np.repeat(bounds, per_source, axis=0)
    knocked = np.tile(np.vstack([np.zeros((1, len(knockouts))), np.eye(len(knockouts))]), (n, 1))
    growth = uptake_model.growth(bounds, knocked_out=knocked)[0]  # medium_ids are base_ids + sources: no extras
    labels = (growth > threshold).astype(int)
    flipped = np.zeros(len(labels), dtype=bool)
    flipped[rng.choice(len(labels), round(flip * len(labels)), replace=False)] = True
    labels[flipped] = 1 - labels[flipped]
    cells = bounds if composition == "bounds" else (bounds > 0).astype(float)
    table = pd.DataFrame(np.hstack([cells, knocked]), columns=base_ids + sources + knockouts)
    table[TARGET] = labels
    return GrowthScreen(table, pd.Series(growth, name="fba_growth"),
                        pd.Series(np.repeat(sources, per_source), name="source"), flipped, medium, composition,
                        float(threshold), tuple(knockouts))
