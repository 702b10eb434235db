"""Gene knockouts: AMNs trained on media x single-gene knockouts, scored on genes never seen in training.

e_coli_core (COBRApy's ``textbook``): random media (one to a few carbon
sources: the core medium with glucose made variable too), each sample with
one random gene knocked out (or none), labelled by pFBA with the knockout
applied.  The genes are split into training and held-out genes, stratified on
lethality on glucose; the training set only knocks out training genes, the
test set only held-out genes, on media drawn with another seed (held-out
media).  The reference is pFBA on simulated data (there is no experimental
knockout table here), so FBA/pFBA itself would score Q^2 = 1 and AUC = 1.

A model sees a knockout in two ways: the dense network reads the indicator
columns ``KO:<gene>`` of the training genes; an AMN's mechanistic layer also
receives the mask of the reactions the knocked-out genes remove (through the
gene-reaction rules).  For a held-out gene only the mask carries information:
ANN-Dense predicts it as the wild type.  Lethal = growth below 5% of the
wild type on the same medium (wild type by pFBA); the score for ROC AUC is
the predicted knockout growth over the model's own wild-type prediction.

    python benchmarks/knockouts.py --quick
    last line: knockouts q2_heldout_genes=<x> auc=<x>
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from _common import data_dir, dataset
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

import amn
from amn.evaluation.metrics import r2
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.models import AMNRegressor
from amn.network import Knockouts, RandomKnockouts
from amn.network.knockouts import KO_PREFIX
from amn.solve.pfba import FluxProblem, HighsLabeler

LETHAL = 0.05  # growth below this fraction of the wild type's on the same medium
PUBLISHED = "iML1515, 120 media x 145 knockouts, experimental growth: AMN Q2 0.80, ROC AUC 0.90; FBA AUC 0.71"


def knockout_media(network, ratio: float):
    """The core medium with glucose variable like the other carbon sources, about ``ratio`` of them per medium."""
    spec = core_medium(network, ratio=ratio)
    level = np.where(np.array(spec.reaction_ids) == "EX_glc__D_e_i", spec.level.max(), spec.level)
    return replace(spec, level=level, source=f"{spec.source}, glucose variable")


def lethal_on_glucose(network, spec, genes) -> np.ndarray:
    """Whether each gene's knockout is lethal by pFBA on glucose alone (for a stratified split)."""
    labeler = HighsLabeler(FluxProblem.from_network(network, spec.reaction_ids))
    bounds = np.where(spec.level <= 1, spec.max_value, 0.0)
    bounds[list(spec.reaction_ids).index("EX_glc__D_e_i")] = 10.0
    wild = labeler.label(bounds).growth
    mapping = Knockouts(network)
    out = []
    for g in genes:
        label = labeler.label(bounds, mapping.columns([g]))
        out.append(label.fluxes is None or label.growth < LETHAL * wild)
    return np.array(out)


def scores(model, X, knockouts, truth, wild) -> dict[str, float]:
    """Growth Q^2, and accuracy / ROC AUC of lethal vs viable, scored by predicted KO / predicted WT growth."""
    started = time.perf_counter()
    predicted = model.predict(X, knockouts=knockouts)
    predicted_wild = model.predict(X)
    ratio = predicted / np.maximum(np.abs(predicted_wild), 1e-9)
    lethal = truth < LETHAL * wild
    return {
        "q2": r2(truth, predicted),
        "accuracy": accuracy_score(lethal, ratio < LETHAL),
        "auc": roc_auc_score(lethal, -ratio) if 0 < lethal.sum() < len(lethal) else float("nan"),
        "predict_s": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 training samples, 1,000 test samples, 100 epochs")
    parser.add_argument("--epochs", type=int, help="epochs [default: 100 quick, 200 full]")
    parser.add_argument("--workdir", type=Path, help="keep the datasets here, so a rerun reuses them")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--archs", default="ann-dense,amn-qp",
                        help="comma-separated architectures (e.g. add amn-ipm: exact steady states, slower) [ann-dense,amn-qp]")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train_size, test_size = (2000, 1000) if args.quick else (10000, 3000)
    epochs = args.epochs or (100 if args.quick else 200)
    work = data_dir(args.workdir, "amn-knockouts-")
    started = time.perf_counter()

    network = amn.make_unidirectional("textbook")
    spec = knockout_media(network, ratio=0.15)
    genes = Knockouts(network).genes  # sorted: the model's gene order varies from process to process
    lethal = lethal_on_glucose(network, spec, genes)
    train_genes, test_genes = train_test_split(genes, test_size=0.3, random_state=args.seed, stratify=lethal)
    print(f"e_coli_core: {len(genes)} genes ({int(lethal.sum())} lethal on glucose), {len(train_genes)} for "
          f"training, {len(test_genes)} held out; reference: pFBA on simulated data (FBA/pFBA: Q2 = AUC = 1)")

    train = dataset(network, RandomMedia(spec, train_size), work / f"train_{train_size}.npz", seed=args.seed,
                    knockouts=RandomKnockouts.from_network(network, train_genes, wild_type=0.1, source="train genes"))
    test = dataset(network, RandomMedia(spec, test_size), work / f"test_{test_size}.npz", seed=args.seed + 1,
                   knockouts=RandomKnockouts.from_network(network, test_genes, wild_type=0.0, source="held-out genes"))
    seen = dataset(network, RandomMedia(spec, test_size), work / f"seen_{test_size}.npz", seed=args.seed + 2,
                   knockouts=RandomKnockouts.from_network(network, train_genes, wild_type=0.0, source="train genes"))
    for name, data in (("train", train), ("held-out genes", test), ("seen genes, new media", seen)):
        ratio = data.growth / data.wild_type_growth
        print(f"{name:<22} {len(data.X):>6} samples, lethal {np.mean(ratio < LETHAL):.3f}, "
              f"growth reduced > 1% {np.mean(ratio < 0.99):.3f}")

    def knockout_sets(data) -> tuple:
        """The medium columns and the per-sample knocked-out genes (from the indicators) of a dataset."""
        flags = data.X[[c for c in data.X.columns if c.startswith(KO_PREFIX)]]
        sets = [[c[len(KO_PREFIX):] for c in flags.columns[row != 0]] for row in flags.to_numpy()]
        return data.X[[c for c in data.X.columns if not c.startswith(KO_PREFIX)]], sets

    print(f"{'arch':<10} {'test set':<22} {'Q2 growth':>9} {'accuracy':>8} {'ROC AUC':>8} {'fit s':>7} {'s/epoch':>8}")
    results = {}
    layer_params = {"amn-qp": {"iterations": 20}}  # 4 steps barely let the mask change growth
    for arch in args.archs.split(","):
        model = AMNRegressor(arch=arch, network=network, epochs=epochs, seed=args.seed,
                             layer_params=layer_params.get(arch))
        model.fit(train.X, train.Y)
        for name, data in (("held-out genes", test), ("seen genes, new media", seen)):
            media, sets = knockout_sets(data)
            s = scores(model, media, sets, data.growth.to_numpy(), data.wild_type_growth.to_numpy())
            results[(arch, name)] = s
            print(f"{arch:<10} {name:<22} {s['q2']:>9.4f} {s['accuracy']:>8.4f} {s['auc']:>8.4f} "
                  f"{model.fit_seconds_:>7.1f} {model.seconds_per_epoch_:>8.4f}")
    print(f"published ({PUBLISHED})")
    print(f"total {time.perf_counter() - started:.0f} s")
    amns = [arch for arch in args.archs.split(",") if arch.startswith("amn-")] or args.archs.split(",")
    best = max((results[(arch, "held-out genes")] for arch in amns), key=lambda s: s["q2"])
    print(f"knockouts q2_heldout_genes={best['q2']:.4f} auc={best['auc']:.4f}")


if __name__ == "__main__":
    main()
