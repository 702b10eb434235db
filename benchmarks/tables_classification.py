"""Growth / no-growth on carbon sources never seen in training: FBA against composition-only baselines.

A simulated screen (:func:`amn.dataset.simulate.simulate_growth_screen`) on
iJO1366: the model's own salts medium without carbon, one carbon source per
medium (every uptake of the model whose metabolite holds carbon), given as an
uptake bound drawn from 10, 3 and 0.63 mmol/gDW/h (a table of bounds, as
users bring them); label = FBA growth > 0.01 1/h, 5% of the labels flipped
(seeded).  Each source is in exactly one medium, so the row-wise shuffled
10-fold split (scikit-learn ``KFold``) is a split by source: every held-out
medium has a carbon source no training medium had (checked below).

Methods, all through :func:`amn.evaluation.cross_validate` on the same folds:
- ``FBA, table bounds``: :class:`~amn.baselines.fba.FBAGrowthClassifier` with the
  table's bounds, growth above a threshold chosen on the training folds (balanced accuracy);
- ``FBA, best single scale``: the same with one scale on every source bound chosen
  from the grid on the training folds too;
- composition-only baselines of the method table (logistic regression, random forest;
  every classification baseline without ``--quick``).
The best mechanistic accuracy is the largest of the FBA rows.  The reference is
FBA itself on simulated data, so FBA can only lose the flipped labels (about 5%);
the composition-only baselines never saw the held-out source column set and score
about the majority rate.

A knockout screen beside it: the same sources, each in the wild type and in 13 single knockouts of
central-metabolism genes (``KNOCKOUTS``, those the model has; a table of media x knockout columns,
1 = knocked out), split 10-fold by source (``GroupKFold``: every held-out row has an unseen source).
FBA that applies each row's knockouts against FBA blind to them (uptake columns only) and the
composition-only baselines on every column.

    python benchmarks/tables_classification.py --quick
    last line: tables_classification class_acc_best=<x> class_acc_fba=<x> class_majority=<x> ...
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold, KFold, PredefinedSplit
from threadpoolctl import threadpool_limits

from amn.baselines.fba import FBAGrowthClassifier
from amn.baselines.registry import statistical_methods
from amn.data import model_path
from amn.dataset.simulate import TARGET, simulate_growth_screen
from amn.evaluation.validation import cross_validate
from amn.network import make_unidirectional
from amn.solve.composition import UptakeModel

#: Source bounds of the simulated table (mmol/gDW/h), one drawn per medium.
SOURCE_BOUNDS = (10.0, 3.0, 0.63)
#: Scales tried by "FBA, best single scale" with --quick (the full run tries the uptake model's whole grid).
QUICK_GRID = (0.5, 1.0, 2.0)
#: Composition-only baselines run with --quick.
QUICK_BASELINES = ("logistic regression", "random forest")
#: Genes knocked out in the knockout screen (E. coli b-numbers: pgi, pfkA, tpiA, gapA, eno, pykF, ppc, sdhA,
#: icd, gltA, aceA, zwf, pck); those the model lacks are left out.
KNOCKOUTS = ("b4025", "b3916", "b3919", "b1779", "b2779", "b1676", "b3956", "b0723", "b1136", "b0720", "b4015",
             "b1852", "b3403")
#: Short keys of the returned figures, per baseline.
KEYS = {"logistic regression": "logistic", "random forest": "forest", "XGBoost": "xgboost", "ANN-Dense": "ann"}


def classification_benchmark(quick: bool, model: str = "iJO1366", seed: int = 0, verbose: bool = True) -> dict:
    """Held-out accuracy of FBA and of composition-only baselines on a simulated carbon-source screen.

    Parameters
    ----------
    quick : bool
        One repeat, two baselines and a 3-value scale grid (under ~5 minutes on 2 cores); otherwise three
        repeats, every baseline, the full grid.
    model : str, default "iJO1366"
        BiGG id of the data directory's model.
    seed : int, default 0
        Seed of the screen (its bounds and flips).
    verbose : bool, default True
        Print the method table.

    Returns
    -------
    dict
        ``class_acc_best`` (best FBA row), ``class_acc_fba`` (FBA with the table's bounds),
        ``class_majority`` (majority-class rate), ``class_acc_<baseline>`` per composition-only
        baseline, ``class_auc_fba``, ``n_media``, ``grows_rate``, ``seconds``, and the knockout screen's
        figures (:func:`knockout_screen`).
    """
    start = time.perf_counter()
    network = make_unidirectional(model_path(model))
    screen = simulate_growth_screen(network, composition="bounds", bound=SOURCE_BOUNDS, flip=0.05, seed=seed)
    X, y = screen.table.drop(columns=TARGET), screen.table[TARGET].to_numpy()
    # one source per medium and one medium per source: a row-wise split is a split by source
    assert ((X[screen.source_ids] > 0).sum(axis=0) == 1).all() and ((X[screen.source_ids] > 0).sum(axis=1) == 1).all()
    uptakes = UptakeModel(network, list(X.columns), screen.medium, composition=screen.composition)
    mechanistic = {
        "FBA, table bounds": (FBAGrowthClassifier(uptakes), None),
        "FBA, best single scale": (FBAGrowthClassifier(uptakes, grid=QUICK_GRID if quick else uptakes.parameter_grid),
                                   None),
    }
    baselines = {m.name: (m.build(None), None) for m in statistical_methods("classification")
                 if not quick or m.name in QUICK_BASELINES}
    seeds = (0,) if quick else (0, 1, 2)
    results = _cross_validate({**mechanistic, **baselines}, X, y, seeds, KFold(10, shuffle=True))
    majority = float(results["FBA, table bounds"].mean("majority_rate"))
    if verbose:
        print(f"{model}: {len(y)} media, one carbon source each ({y.mean():.3f} grow), "
              f"bounds {SOURCE_BOUNDS}, 5% labels flipped; 10-fold by source, {len(seeds)} repeat(s)")
        print(f"{'method':28s} {'accuracy':>9s} {'bal. acc':>9s} {'ROC AUC':>8s} {'seconds':>8s}")
        for name, r in results.items():
            print(f"{name:28s} {r.mean('accuracy'):9.4f} {r.mean('balanced_accuracy'):9.4f} "
                  f"{r.mean('roc_auc'):8.4f} {r.seconds:8.1f}")
        print(f"{'majority class':28s} {majority:9.4f}")
    out = {
        "class_acc_best": max(results[n].mean("accuracy") for n in mechanistic),
        "class_acc_fba": results["FBA, table bounds"].mean("accuracy"),
        "class_majority": majority,
        **{f"class_acc_{KEYS.get(n, n)}": results[n].mean("accuracy") for n in baselines},
        "class_auc_fba": results["FBA, table bounds"].mean("roc_auc"),
        "n_media": len(y),
        "grows_rate": float(y.mean()),
        **knockout_screen(network, quick, seed, verbose),
        "seconds": time.perf_counter() - start,
    }
    return out


def _cross_validate(methods: dict, X, y, seeds, cv) -> dict:
    """Classification results of every method on the same folds (one BLAS thread, no convergence noise)."""
    results = {}
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # logistic regression on columns seen once
        for name, (estimator, columns) in methods.items():
            results[name] = cross_validate(estimator, X if columns is None else X[columns], y, task="classification",
                                           seeds=seeds, cv=cv, name=name)
    return results


def knockout_screen(network, quick: bool, seed: int = 0, verbose: bool = True) -> dict:
    """Held-out accuracy on a knockout screen (sources x single knockouts), split by source.

    Returns ``class_ko_acc_fba`` (FBA with each row's knockouts), ``class_ko_acc_blind`` (FBA on the uptake
    columns only), ``class_ko_acc_<baseline>``, ``class_ko_majority`` and ``class_ko_rows``; empty when the
    model has none of :data:`KNOCKOUTS`.
    """
    genes = {g.id for g in network.model.genes}
    knockouts = [g for g in KNOCKOUTS if g in genes]
    if not knockouts:
        return {}
    screen = simulate_growth_screen(network, composition="bounds", bound=SOURCE_BOUNDS, flip=0.05,
                                    knockouts=knockouts, seed=seed)
    X, y = screen.table.drop(columns=TARGET), screen.table[TARGET].to_numpy()
    uptakes = [c for c in X.columns if c not in knockouts]
    methods = {
        "FBA, table bounds + knockouts": (FBAGrowthClassifier(UptakeModel(
            network, uptakes, screen.medium, composition=screen.composition, knockout_ids=knockouts)), None),
        "FBA, table bounds, blind": (FBAGrowthClassifier(UptakeModel(
            network, uptakes, screen.medium, composition=screen.composition)), uptakes),
        **{m.name: (m.build(None), None) for m in statistical_methods("classification")
           if not quick or m.name in QUICK_BASELINES},
    }
    seeds = (0,) if quick else (0, 1, 2)
    fold = np.empty(len(y), dtype=int)
    for k, (_, held_out) in enumerate(GroupKFold(10).split(X, y, groups=screen.source)):
        fold[held_out] = k
    results = _cross_validate(methods, X, y, seeds, PredefinedSplit(fold))
    majority = float(results["FBA, table bounds + knockouts"].mean("majority_rate"))
    if verbose:
        print(f"knockout screen: {len(screen.source.unique())} sources x (wild type + {len(knockouts)} single knockouts)"
              f" = {len(y)} rows ({y.mean():.3f} grow), 5% labels flipped; 10-fold by source")
        for name, r in results.items():
            print(f"{name:34s} {r.mean('accuracy'):9.4f} {r.mean('balanced_accuracy'):9.4f} "
                  f"{r.mean('roc_auc'):8.4f} {r.seconds:8.1f}")
        print(f"{'majority class':34s} {majority:9.4f}")
    return {"class_ko_acc_fba": results["FBA, table bounds + knockouts"].mean("accuracy"),
            "class_ko_acc_blind": results["FBA, table bounds, blind"].mean("accuracy"),
            **{f"class_ko_acc_{KEYS.get(n, n)}": results[n].mean("accuracy") for n in methods if n in KEYS},
            "class_ko_majority": majority, "class_ko_rows": len(y)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, logistic regression and random forest")
    parser.add_argument("--model", default="iJO1366", help="BiGG id of the data directory's model")
    args = parser.parse_args()
    figures = classification_benchmark(args.quick, args.model)
    print(f"total {figures['seconds']:.0f} s (machine shared: timings are upper bounds)")
    headline = ["class_acc_best", "class_acc_fba", "class_majority"]
    keys = headline + sorted(k for k in figures if k.startswith(("class_acc_", "class_ko_acc_", "class_ko_majority"))
                             and k not in headline)
    print("tables_classification " + " ".join(f"{k}={figures[k]:.4f}" for k in keys))


if __name__ == "__main__":
    main()
