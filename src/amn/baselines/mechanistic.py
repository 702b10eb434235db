"""Methods that need the metabolic model: FBA baselines, growth / no-growth by FBA and the reservoir,
AMN-QP on measured values, and why a table rules them out.

Each function returns :class:`~amn.baselines.method.Method` entries for
:func:`amn.baselines.registry.methods_for`.  One :class:`UptakeModel` is built
per table (on first use) and shared by the methods of that table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from amn.baselines.fba import FBACompositionBounds, FBAFittedBounds, FBAFixedBound, FBAGrowthClassifier
from amn.baselines.method import Method
from amn.dataset.table import ExperimentTable
from amn.errors import id_list
from amn.media.spec import MediumSpec
from amn.solve.composition import UptakeModel

#: The input roles the FBA methods and AMN-QP read: the medium, and the knockouts they apply in each row.
MEDIUM_AND_KNOCKOUTS = ("uptake", "knockout")


def fba_methods(network, medium: MediumSpec | None = None, composition: bool = False,
                table_bounds: bool = False) -> list[Method]:
    """FBA baselines on ``network``, one :class:`UptakeModel` per table (built on first use).

    Parameters
    ----------
    network : UnidirectionalNetwork
    medium : MediumSpec, optional
        Medium file of the base compounds (their bounds).
    composition : bool, default False
        Also :class:`FBACompositionBounds`, the exact-FBA reservoir route (slower:
        hundreds of FBA solves per training medium).
    table_bounds : bool, default False
        First, FBA with a bounds table's own values, nothing fitted.

    Returns
    -------
    list of Method
    """
    model_for = _uptake_models(network, medium)
    affine = "affine calibration a*growth+b fitted on the training folds"
    roles = MEDIUM_AND_KNOCKOUTS
    out = [Method("FBA, table bounds", lambda t: FBAFixedBound(model_for(t), grid=(1.0,)),
                  "the table's bounds, nothing fitted", roles)] if table_bounds else []
    out += [
        Method("FBA, best single bound", lambda t: FBAFixedBound(model_for(t)), "bound from a grid, training folds",
               roles),
        Method("FBA, best single bound + affine", lambda t: FBAFixedBound(model_for(t), calibrate=True), affine,
               roles),
        Method("FBA, per-compound bounds (L-BFGS-B)", lambda t: FBAFittedBounds(model_for(t)), "training folds",
               roles),
        Method("FBA, per-compound bounds (L-BFGS-B) + affine",
               lambda t: FBAFittedBounds(model_for(t), calibrate=True), affine, roles),
    ]
    if composition:
        out.append(Method(
            "FBA, composition-dependent bounds (exact route)",
            lambda t: FBACompositionBounds(model_for(t)),
            "a logistic uptake layer trained through FBA (LP duals), base bounds that limit growth included; "
            "no calibration",
            roles,
        ))
    return out


def classification_methods(network, medium: MediumSpec | None = None) -> list[Method]:
    """Grows / does not grow by FBA on ``network``: growth above a threshold chosen on the training folds.

    Parameters
    ----------
    network : UnidirectionalNetwork
    medium : MediumSpec, optional
        Medium file of the base compounds (their bounds).

    Returns
    -------
    list of Method
    """
    model_for = _uptake_models(network, medium)
    threshold = "grows = FBA growth > a threshold chosen on the training folds (balanced accuracy)"
    roles = MEDIUM_AND_KNOCKOUTS
    return [
        Method("FBA, table bounds", lambda t: FBAGrowthClassifier(model_for(t)),
               f"{threshold}; bounds tables: the table's bounds, presence: a fixed bound per present compound, "
               "concentrations: 1 mmol/gDW/h per unit", roles),
        Method("FBA, best single bound", lambda t: FBAGrowthClassifier(model_for(t), grid=model_for(t).parameter_grid),
               f"{threshold}; one bound (presence) or scale (bounds, concentrations) chosen on the training folds",
               roles),
    ]


def flux_methods(network, epochs: int = 60) -> list[Method]:
    """AMNs that predict every measured flux of a condition (:class:`~amn.models.flux.FluxAMNRegressor`).

    The table's roles become the estimator's: uptakes and measured inputs are fixed in the
    steady-state projection, knocked-out reactions (genes through their rules) held at 0, extra
    inputs read by the prior only, each target read from the reaction it names.

    Parameters
    ----------
    network : UnidirectionalNetwork
    epochs : int, default 60
        Training of the dense prior through the projection.

    Returns
    -------
    list of Method
    """
    def build(table: ExperimentTable, prior: str):
        from amn.models.flux import FluxAMNRegressor

        return FluxAMNRegressor(
            network, uptakes={c: c for c in table.inputs("uptake")}, measured=dict(table.measured_reactions),
            knockouts={c: (table.knockout_kind[c], c) for c in table.inputs("knockout")},
            extra=table.inputs("extra"), targets=dict(table.target_reactions), prior=prior, epochs=epochs)

    projection = "exact steady-state projection (S v = 0, bounds, knockouts at 0, measured inputs fixed)"
    return [Method("AMN flux, ridge prior", lambda t: build(t, "ridge"), f"ridge prior + {projection}"),
            Method("AMN flux, dense prior", lambda t: build(t, "dense"),
                   f"prior trained through the {projection}, {epochs} epochs")]


def flux_blocker(table: ExperimentTable) -> str | None:
    """Why the flux AMNs cannot run on ``table``, or None: they predict measured fluxes (regression)."""
    if table.task != "regression":
        return "it predicts fluxes and this is a classification table"
    unnamed = [t for t in table.targets if t not in table.target_reactions]
    if unnamed:
        return f"target(s) {', '.join(unnamed[:3])}{' ...' if len(unnamed) > 3 else ''} name no reaction of the model"
    return None


def _uptake_models(network, medium):
    """``model_for(table)``: one :class:`UptakeModel` per set of composition columns, built on first use."""
    cache: dict[tuple, UptakeModel] = {}

    def model_for(table: ExperimentTable) -> UptakeModel:
        key = (tuple(table.composition_ids), table.composition, tuple(table.knockout_ids))
        if key not in cache:
            cache[key] = UptakeModel.from_table(network, table, medium)
        return cache[key]

    return model_for


def _composition_amn(network, medium, epochs, knockout_ids=()):
    from amn.baselines.composition_amn import CompositionAMN

    return CompositionAMN(network, medium, knockout_ids=list(knockout_ids), epochs=epochs)


def _reservoir(growth_model, table: ExperimentTable, network=None):
    from amn.reservoir import ReservoirClassifier, ReservoirFBA, ReservoirRegressor

    settings = {"composition": table.composition, "knockout_ids": list(table.knockout_ids)}
    if table.task == "classification":
        return ReservoirClassifier(str(growth_model), **settings)
    if network is None:
        return ReservoirRegressor(str(growth_model), **settings)
    return ReservoirFBA(str(growth_model), network=network, **settings)


def reservoir_knockout_blocker(growth_model: str | Path, knockout_ids) -> str | None:
    """Why the saved growth model cannot apply ``knockout_ids``, or None: a dense network (no
    mechanistic layer to hold removed fluxes at 0) applies only the genes it has an indicator input for.
    None too when its ``model.json`` cannot be read (fitting the reservoir then says why)."""
    from amn.models.architectures import get_architecture
    from amn.models.persist import DESCRIPTION

    try:
        description = json.loads((Path(growth_model) / DESCRIPTION).read_text())
        mechanistic = get_architecture(description["arch"]).mechanistic
        seen = set(description.get("knockout_genes", []))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    unseen = [k for k in knockout_ids if k not in seen]
    if mechanistic or not unseen:
        return None
    return (f"growth model {growth_model} is a dense network ({description['arch']}) without a knockout input for "
            f"{id_list(unseen)}")


def mechanistic_blocker(table: ExperimentTable) -> str | None:
    """Why no growth method (FBA, exact route, AMN-QP, reservoir) can run on ``table``, or None.

    They read the uptake columns and predict one growth rate, or grows / does not grow: several
    targets or no uptake column at all rule them out.  Extra and measured inputs do not: these
    methods read the uptake (and knockout) columns only (their note says so).  What suits only some of
    them (presence tables for the exact route and AMN-QP, knockouts for a dense growth model) is
    :func:`growth_methods`' to say.

    Examples
    --------
    >>> import pandas as pd
    >>> from amn.dataset.validation import validate_table
    >>> t = validate_table(pd.DataFrame({"EX_glc__D_e_i": [1, 0, 1], "A": [0.1, 0.2, 0.3], "B": [1, 2, 3]}),
    ...                    target="A,B")
    >>> mechanistic_blocker(t)
    'it predicts one growth rate and this table has 2 targets'
    """
    if len(table.targets) > 1:
        return f"it predicts one growth rate and this table has {len(table.targets)} targets"
    if not table.composition_ids:
        return "the table has no uptake column"
    return None


def no_growth_blocker(network, table: ExperimentTable, medium: MediumSpec | None = None,
                      threshold: float = 1e-9) -> str | None:
    """Why FBA on ``network`` can grow in no medium of ``table``, or None.

    Growth is solved once with every uptake the table and ``medium`` may open at 1000 mmol/gDW/h,
    no knockouts: what no bound a method could fit would exceed.  No growth there means every FBA
    prediction is 0 -- typically a table of carbon sources run without ``--medium``, so that the
    salts, nitrogen and oxygen stay closed; the message names the essential uptakes left closed.
    None too when the table cannot make an uptake model (fitting then says why).
    """
    from amn.errors import AMNError
    from amn.solve.essential import essential_uptakes

    try:
        model = UptakeModel.from_table(network, table, medium)
        growth, _ = model.growth(np.full((1, len(model.medium_ids)), 1000.0))
    except AMNError:
        return None
    if growth[0] > threshold:
        return None
    closed = [r for r in essential_uptakes(network) if r not in set(model.medium_ids)]
    where = "with the medium file's base compounds" if medium is not None else "without --medium"
    return (f"model {network.model_id} grows in no medium of the table, even with all {len(model.medium_ids)} "
            f"uptakes it may open at 1000 ({where}, every other uptake is closed"
            + (f"; essential uptakes closed: {id_list(closed)}" if closed else "")
            + "); give --medium with the base compounds (`amn medium MODEL --variable carbon --base salts --out "
              "base.csv` writes the model's own salts)")


def growth_methods(
    table: ExperimentTable,
    network=None,
    medium: MediumSpec | None = None,
    *,
    exact_route: bool = False,
    amn_epochs: int = 0,
    amn_network=None,
    growth_model: str | Path | None = None,
    reservoir_fba: bool = False,
) -> tuple[list[Method], list[str]]:
    """The growth methods asked for that suit ``table``, and one line for each that does not.

    Regression: the FBA baselines on any composition (presence, bounds, concentrations; on bounds
    tables also the table's bounds unfitted), the exact route and AMN-QP on presence tables, the
    reservoir (and its bounds given to FBA).  Classification: FBA with a threshold chosen on the
    training folds, and the reservoir's logistic head.  Every one applies the table's knockout
    columns; only a dense growth model without an input for a knockout skips the reservoir
    (:func:`reservoir_knockout_blocker`).  Parameters as in :func:`amn.baselines.registry.methods_for`.

    Returns
    -------
    methods : list of Method
    skipped : list of str
        ``"<method> (<option>) skipped: <why>"``, one per method asked for that cannot run.
    """
    asked = [(network is not None, "FBA baselines (--model)"), (exact_route, "exact-FBA route (--exact-route)"),
             (amn_epochs > 0, "AMN-QP (--amn)"), (growth_model is not None, "reservoir (--growth-model)")]
    why = mechanistic_blocker(table)
    if why is not None:
        return [], [f"{name} skipped: {why.replace('it ', 'FBA ', 1) if name.startswith('FBA') else why}"
                    for wanted, name in asked if wanted]
    out, skipped = [], []
    presence = table.composition == "presence"
    classification = table.task == "classification"
    not_presence = f"it reads 0/1 compositions and this table's uptake columns are {table.composition}"
    barren = no_growth_blocker(network, table, medium) if network is not None else None
    if barren is not None:
        skipped.append(f"FBA baselines (--model) skipped: {barren}")
    elif network is not None:
        if classification:
            out += classification_methods(network, medium)
        else:
            out += fba_methods(network, medium, composition=exact_route and presence,
                               table_bounds=table.composition == "bounds")
    def presence_regression_blocker(on) -> str | None:
        """Why a method for growth rates on presence tables, run on network ``on``, cannot run here."""
        if on is None:
            return "it needs --model"
        if classification:
            return "it predicts growth rates and this is a classification table"
        return None if presence else not_presence

    if exact_route and (why := presence_regression_blocker(network) or barren):
        skipped.append(f"exact-FBA route (--exact-route) skipped: {why}")
    amn_network = amn_network if amn_network is not None else network
    if amn_epochs > 0:
        if why := presence_regression_blocker(amn_network) or barren:
            skipped.append(f"AMN-QP (--amn) skipped: {why}")
        else:
            note = f"trained on the measured values, {amn_epochs} epochs" + (
                "" if amn_network is network else ", reduced network")
            out.append(Method("AMN-QP", lambda t: _composition_amn(amn_network, medium, amn_epochs, t.knockout_ids),
                              note, MEDIUM_AND_KNOCKOUTS))
    cannot_knock_out = reservoir_knockout_blocker(growth_model, table.knockout_ids) \
        if growth_model is not None and table.knockout_ids else None
    if cannot_knock_out:
        skipped.append(f"reservoir (--growth-model) skipped: {cannot_knock_out}")
    elif growth_model is not None:
        head = "logistic head on the growth" if classification else "growth"
        out.append(Method("reservoir", lambda t: _reservoir(growth_model, t),
                          f"frozen growth model (saved AMN), uptake layer and {head} trained on the training folds",
                          MEDIUM_AND_KNOCKOUTS))
        if reservoir_fba and network is not None and not classification:
            out.append(Method("FBA with reservoir bounds", lambda t: _reservoir(growth_model, t, network=network),
                              "the reservoir's learned uptake bounds given to plain FBA, no calibration",
                              MEDIUM_AND_KNOCKOUTS))
    return [Method(m.name, m.build, _inputs_read(table, m), m.roles) for m in out], skipped


def _inputs_read(table: ExperimentTable, method: Method) -> str:
    """The method's note, and which inputs it reads when the table has others it does not."""
    read = table.inputs(*method.roles)
    others = len(table.X.columns) - len(read)
    knockouts = "knockout" in method.roles and table.knockout_ids
    what = "uptake and knockout columns" if knockouts else "uptake columns"
    extra = f"{what} only ({others} other input(s) not used)" if others else ""
    return "; ".join(n for n in (method.note, extra) if n)
