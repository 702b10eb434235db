"""Experimental tables as users bring them: Ishii 2007 fluxes (and growth / no-growth classification).

Ishii et al. 2007 (data/experimental/ishii2007_multiomics): 29 E. coli conditions (wild type at five
dilution rates, 24 single-gene knockouts), 47 13C-MFA net fluxes named by e_coli_core reactions.
Leave one condition out (29 folds, the package's cross_validate): the measured glucose
uptake and growth rate are the inputs, with the knockouts, and the 43 other fluxes that vary are the
targets.  Scored by the variance-weighted Q^2 over targets (scikit-learn r2_score, variance_weighted).

- ridge: RidgeCV (alphas logspace(-3, 3, 13), chosen by leave-one-out inside the training rows) on
  MINN's knockout mask (KOs_Vin.csv) + glucose uptake + growth (REFERENCE.md: 0.762);
- prior alone: the flux AMNs' prior, RidgeCV with an alpha per target on the standardized inputs (the
  mask, glucose uptake, growth and the knockout indicators), without the projection;
- amn-ridge-proj: that prior, then the exact projection onto e_coli_core's steady states
  (COBRApy textbook) with growth and glucose uptake fixed and the knockouts as masks (FluxAMNRegressor;
  each target blended with the prior by a share fitted out of fold on the training rows: readout="stacked";
  a target the projection moves by more than 3 of the prior's leave-one-out standard errors keeps the prior's);
- amn-dense: the prior trained through the projection (FluxAMNRegressor, prior="dense");
- amn-dense-omics (full run only): the same with transcripts and proteins as extra inputs;
- anchors: MINN's published predictions and pFBA (e_coli_core, glucose uptake fixed), scored on the
  targets they predict.

The ceiling line says what the measured gas exchanges leave reachable: O2 uptake (a tenth of the targets'
variance) does not follow, leave one out, even from the measured internal fluxes, so predictions exact on
every other target and O2 at its leave-one-out mean would score about 0.89 (0.85 with CO2 there too).

Column names: ``R_`` prefix, ``_fwd`` -> the net flux, ``_rev`` -> ``<id>_rev`` (minus the net flux),
exchanges without suffix are secretions (``_o``), ``EX_o2_e_rev`` the uptake (``_i``).  Two columns are
glucose, not glutamate: ``R_GLUt2r_fwd`` and ``R_EX_glu__L_e`` are equal in every row and equal the
carbon entering glycolysis and the pentose-phosphate pathway (PGI + G6PDH2r + 0.13-0.38 x growth,
the g6p drained into biomass);
MINN's file calls the first ``R_GLCptspp``.  The benchmark checks this and maps both to glucose uptake
(``EX_glc__D_e_i``).  Knockouts: the gene named by the condition (by gene name in the model; galM, glk,
pgm, gapC and gpmB are not in e_coli_core) removes the reactions its gene-reaction rules lose.

    python benchmarks/tables.py --quick
    last line: tables ishii_q2_vw=<x> ridge_q2_vw=<x> class_acc_best=<x> class_acc_fba=<x> class_majority=<x>
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import fold_progress
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, LeaveOneOut, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import amn
from amn.data import locate
from amn.evaluation.validation import cross_validate
from amn.layers.projection import NetArrays
from amn.models.flux import ALPHAS, FluxAMNRegressor
from amn.network import Knockouts
from amn.solve.pfba import FluxProblem, HighsLabeler

ISHII = "experimental/ishii2007_multiomics"
UPTAKE, GROWTH = "R_GLUt2r_fwd", "R_BIOMASS_Ecoli_core_w_GAM"
GLUCOSE_ALIAS = "R_EX_glu__L_e"  # equal to R_GLUt2r_fwd in every row: glucose, see the module docstring
PUBLISHED = "REFERENCE.md: ridge 0.762, MINN 0.60, pFBA 0.11 (variance-weighted R^2)"


def ishii_tables() -> dict[str, pd.DataFrame]:
    """The Ishii files, indexed by ``experiment`` (MINN's predictions have no such column: same row order)."""
    folder = locate(ISHII)
    tables = {name: pd.read_csv(folder / f"{name}.csv") for name in
              ("fluxomics_ecore", "KOs_Vin", "transcriptomics", "proteomics", "minn_predictions")}
    index = tables["fluxomics_ecore"]["experiment"]
    tables["minn_predictions"].index = index
    return {k: (v.set_index("experiment") if "experiment" in v.columns else v) for k, v in tables.items()}


def reaction_id(column: str, network) -> str:
    """The network id of a flux column (see the module docstring for the rules)."""
    if column in (UPTAKE, GLUCOSE_ALIAS):
        return "EX_glc__D_e_i"
    name = column.removeprefix("R_")
    if name.startswith("BIOMASS"):
        return network.objective_id
    base, _, suffix = name.rpartition("_")
    if suffix not in ("fwd", "rev"):
        base, suffix = name, ""
    if base.startswith("EX_"):
        return f"{base}_i" if suffix == "rev" else f"{base}_o"
    return f"{base}_rev" if suffix == "rev" else base


def check_glucose(fluxes: pd.DataFrame) -> tuple[float, float, float]:
    """Evidence that ``R_GLUt2r_fwd`` is glucose uptake: its largest difference to ``R_EX_glu__L_e``, and the
    range over conditions of (uptake - PGI - G6PDH2r) / growth, the g6p drained into biomass per unit of
    growth (0.205 in e_coli_core's biomass reaction)."""
    drain = (fluxes[UPTAKE] - fluxes["R_PGI_fwd"] - fluxes["R_G6PDH2r_fwd"]) / fluxes[GROWTH]
    return float((fluxes[UPTAKE] - fluxes[GLUCOSE_ALIAS]).abs().max()), float(drain.min()), float(drain.max())


def ishii_problem(network, omics: bool = False):
    """X (inputs), Y (43 targets), and the column roles for FluxAMNRegressor."""
    t = ishii_tables()
    fluxes = t["fluxomics_ecore"]
    gap, low, high = check_glucose(fluxes)
    if gap > 1e-9 or not 0.0 <= low <= high <= 0.5:
        raise SystemExit(f"{ISHII}: {UPTAKE} does not look like glucose uptake (gap {gap:g}, drain {low:.3f}-{high:.3f})")
    variance = fluxes.var()
    targets = [c for c in fluxes.columns if c not in (UPTAKE, GROWTH) and variance[c] > 0]
    mask = (1 - t["KOs_Vin"].loc[fluxes.index]).add_prefix("mask_")  # 1 = removed (MINN's encoding inverted)
    by_name = {g.name: g.id for g in network.model.genes}
    genes = {e: by_name[e] for e in fluxes.index if e in by_name}
    ko = pd.DataFrame({f"KO_{e}": (fluxes.index == e).astype(float) for e in genes}, index=fluxes.index)
    X = pd.concat([fluxes[[UPTAKE, GROWTH]], mask, ko], axis=1)
    extra = list(mask.columns)
    if omics:
        levels = pd.concat([t["transcriptomics"], t["proteomics"]], axis=1).loc[fluxes.index]
        X = pd.concat([X, np.log1p(levels.clip(lower=0))], axis=1)
        extra += list(levels.columns)
    roles = {"measured": {UPTAKE: "EX_glc__D_e_i", GROWTH: network.objective_id},
             "knockouts": {f"KO_{e}": ("gene", g) for e, g in genes.items()},
             "extra": extra, "targets": {c: reaction_id(c, network) for c in targets}}
    return X, fluxes[targets], roles, t


GAS = ("R_EX_o2_e_rev", "R_EX_co2_e_fwd")


def gas_ceiling(X: pd.DataFrame, Y: pd.DataFrame) -> str:
    """What the gas exchanges leave reachable: the Q^2 of predictions exact on every target but the gas ones,
    those at their leave-one-out mean; and how well each gas flux follows, leave one out, from the *measured*
    other fluxes with glucose and growth (ridge)."""
    parts = []
    for k in (1, 2):
        P = Y.to_numpy(dtype=float).copy()
        for c in GAS[:k]:
            j, column = Y.columns.get_loc(c), Y[c].to_numpy(dtype=float)
            P[:, j] = (column.sum() - column) / (len(column) - 1)
        parts.append(f"exact but {'+'.join(c.split('_')[2] for c in GAS[:k])} at the LOO mean {q2_vw(Y, P):.3f}")
    others = Y.drop(columns=list(GAS)).join(X[[UPTAKE, GROWTH]])
    for c in GAS:
        p = cross_val_predict(RidgeCV(alphas=list(ALPHAS)), others, Y[c], cv=LeaveOneOut())
        parts.append(f"{c} from the measured other fluxes R2 {r2_score(Y[c], p):.3f}")
    return "ceiling: " + "; ".join(parts)


def q2_vw(y: pd.DataFrame | np.ndarray, prediction: np.ndarray) -> float:
    return float(r2_score(np.asarray(y), prediction, multioutput="variance_weighted"))


def loco(estimator, X, Y, name: str) -> np.ndarray:
    """Leave-one-condition-out predictions (29 folds) through the package's cross_validate."""
    # KFold(n) without shuffle is leave-one-out; LeaveOneOut itself cannot say its number of folds without X
    result = cross_validate(estimator, X, Y, cv=KFold(len(X)), seeds=(0,), name=name,
                            progress=lambda done, total: fold_progress(name, done, total))
    return result.predictions[0]


def pfba_predictions(network, fluxes: pd.DataFrame, roles: dict) -> np.ndarray:
    """pFBA on e_coli_core: the model's open uptakes, glucose bounded by each condition's uptake, its gene
    knockout applied; read on the targets (net fluxes, signed as the targets)."""
    medium = [r for r in network.uptake_ids if network.model.reactions.get_by_id(r).upper_bound > 0]
    bounds = np.array([network.model.reactions.get_by_id(r).upper_bound for r in medium])
    labeler = HighsLabeler(FluxProblem.from_network(network, medium))
    arrays = NetArrays.from_network(network)
    original = {rid: i for i, rid in enumerate(network.original_ids)}
    refs = []
    for rid in roles["targets"].values():
        j = None if rid in original else network.index([rid])[0]
        refs.append((original[rid], 1.0) if j is None else (arrays.part_reaction[j], arrays.part_sign[j]))
    mapping = Knockouts(network)
    out = []
    for experiment, value in fluxes[UPTAKE].items():
        bounds[medium.index("EX_glc__D_e_i")] = value
        gene = roles["knockouts"].get(f"KO_{experiment}")
        label = labeler.label(bounds, mapping.columns([gene[1]]) if gene else None)
        net = network.recombine(np.zeros(len(network.reaction_ids)) if label.fluxes is None else label.fluxes)
        out.append([s * net[i] for i, s in refs])
    return np.array(out)


def ishii_benchmark(quick: bool) -> dict[str, float]:
    """Run the Ishii part; prints a table and returns the scores."""
    network = amn.make_unidirectional("textbook")
    X, Y, roles, t = ishii_problem(network)
    gap, low, high = check_glucose(t["fluxomics_ecore"])
    print(f"Ishii 2007: {len(X)} conditions, {Y.shape[1]} targets; {UPTAKE} = {GLUCOSE_ALIAS} (max gap {gap:g}) = "
          f"PGI + G6PDH2r + {low:.2f}-{high:.2f} x growth: glucose uptake; "
          f"gene knockouts in e_coli_core: {len(roles['knockouts'])}")
    rows: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    ridge_X = X[[UPTAKE, GROWTH, *[c for c in X.columns if c.startswith("mask_")]]]
    rows["ridge"] = loco(RidgeCV(alphas=list(ALPHAS)), ridge_X, Y, "ridge")
    seconds["ridge"] = time.perf_counter() - started
    started = time.perf_counter()  # the flux AMNs' prior alone: what the projection adds is the difference
    prior_X = X[[*roles["measured"], *roles["knockouts"], *roles["extra"]]]
    prior = make_pipeline(StandardScaler(), RidgeCV(alphas=list(ALPHAS), alpha_per_target=True))
    rows["prior alone"] = loco(prior, prior_X, Y, "prior alone")
    seconds["prior alone"] = time.perf_counter() - started
    epochs = 20 if quick else 60
    methods = {"amn-ridge-proj": FluxAMNRegressor(network, prior="ridge", **roles),
               "amn-dense": FluxAMNRegressor(network, prior="dense", epochs=epochs, **roles)}
    if not quick:
        Xo, _, roles_o, _ = ishii_problem(network, omics=True)
        methods["amn-dense-omics"] = (FluxAMNRegressor(network, prior="dense", epochs=epochs, **roles_o), Xo)
    for name, method in methods.items():
        estimator, data = method if isinstance(method, tuple) else (method, X)
        started = time.perf_counter()
        rows[name] = loco(estimator, data, Y, name)
        seconds[name] = time.perf_counter() - started
    minn = t["minn_predictions"]
    common = [c for c in Y.columns if c in minn.columns]
    scores = {name: q2_vw(Y, p) for name, p in rows.items()}
    alias = [c for c in Y.columns if c != GLUCOSE_ALIAS]
    keep = [Y.columns.get_loc(c) for c in alias]
    print(f"{'method':<18} {'Q2 vw (43)':>10} {'Q2 vw (42, no glc alias)':>24} {'median per-flux':>15} {'s':>7}")
    for name, p in rows.items():
        per = r2_score(Y, p, multioutput="raw_values")
        print(f"{name:<18} {scores[name]:>10.4f} {q2_vw(Y[alias], p[:, keep]):>24.4f} {np.median(per):>15.4f} "
              f"{seconds[name]:>7.1f}")
    pfba = pfba_predictions(network, t["fluxomics_ecore"], roles)
    print(f"{'pFBA (anchor)':<18} {q2_vw(Y, pfba):>10.4f}   (e_coli_core, glucose uptake bound, gene knockouts)")
    print(f"{'MINN (anchor)':<18} {q2_vw(Y[common], minn[common].to_numpy()):>10.4f}   "
          f"(published predictions, {len(common)} targets in common, not held out)")
    print(f"published: {PUBLISHED}")
    print(gas_ceiling(X, Y))
    amns = {k: v for k, v in scores.items() if k.startswith("amn")}
    best = max(amns, key=amns.get)
    print(f"best AMN: {best}")
    return {"ishii_q2_vw": amns[best], "ridge_q2_vw": scores["ridge"]}


def classification(quick: bool) -> dict[str, float]:
    """The growth / no-growth part (benchmarks/tables_classification.py), NaN while it does not exist."""
    path = Path(__file__).with_name("tables_classification.py")
    keys = ("class_acc_best", "class_acc_fba", "class_majority")
    if not path.exists():
        return dict.fromkeys(keys, float("nan"))
    spec = importlib.util.spec_from_file_location("tables_classification", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.classification_benchmark(quick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 epochs for the dense prior (60 in full), no omics variant")
    args = parser.parse_args()
    out = {**ishii_benchmark(args.quick), **classification(args.quick)}
    keys = ("ishii_q2_vw", "ridge_q2_vw", "class_acc_best", "class_acc_fba", "class_majority")
    print("tables " + " ".join(f"{k}={out[k]:.4f}" for k in keys))


if __name__ == "__main__":
    main()
