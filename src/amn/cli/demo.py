"""``amn demo``: the whole simulated pipeline on the E. coli core model that COBRApy ships."""

from __future__ import annotations

import time
from pathlib import Path

import click

from amn.cli._options import check_output
from amn.data import BUNDLED_MODEL
from amn.models.names import ARCHITECTURES

DEFAULT_ARCH = "amn-qp"


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("amn-demo"), show_default=True, help="Directory for the dataset, the model and the figure.")
@click.option("--size", type=click.IntRange(min=1), default=1000, show_default=True, help="Number of pFBA training samples.")
@click.option("--arch", type=click.Choice(ARCHITECTURES), default=DEFAULT_ARCH, show_default=True,
              help="Architecture to train beside ANN-Dense.")
@click.option("--epochs", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def demo(out: Path, size: int, arch: str, epochs: int, seed: int) -> None:
    """Network -> pFBA training set -> AMN with 5-fold CV, on the core model COBRApy bundles (`textbook`).

    Makes the model unidirectional and checks FBA against COBRApy, generates
    SIZE random media labelled by pFBA (the published core medium), trains the
    AMN and ANN-Dense with 5-fold cross-validation, prints their growth-rate
    Q^2, saves the AMN trained on all samples and a predicted-vs-pFBA figure.
    """
    check_output(out, folder=True)

    from sklearn.model_selection import KFold

    from amn.dataset import generate
    from amn.evaluation import AMNFoldScorer, cross_validate
    from amn.evaluation.figures import predicted_vs_reference
    from amn.media import RandomMedia
    from amn.media.spec import core_medium
    from amn.models import AMNRegressor, save_model
    from amn.network import load_model, make_unidirectional
    from amn.solve import HighsLP

    t0 = time.perf_counter()
    original = load_model(BUNDLED_MODEL)
    net = make_unidirectional(original)
    fba = HighsLP.from_network(net).solve()
    s = net.summary()
    click.echo(f"network   {s['model']}: {s['original_reactions']} reactions -> {s['reactions']} unidirectional; "
               f"FBA growth {fba.objective:.4f} (COBRApy {original.slim_optimize():.4f})")

    spec = core_medium(net)
    dataset = generate(net, RandomMedia(spec, size), out / "core_pfba_UB.npz", seed=seed, progress=False)
    click.echo(f"dataset   {len(dataset.X)} pFBA samples, {len(spec.variable)} variable uptakes, "
               f"growth {dataset.growth.min():.2f}..{dataset.growth.max():.2f} ({time.perf_counter() - t0:.1f} s)")

    results = {}
    for name in (arch, "ann-dense"):
        estimator = AMNRegressor(arch=name, network=net, epochs=epochs, batch_size=32, seed=seed)
        cv = cross_validate(estimator, dataset.X, dataset.Y, cv=KFold(5, shuffle=True), seeds=(seed,),
                            name=name, scorer=AMNFoldScorer())
        results[name] = (cv, estimator)
        summary = cv.summary()
        click.echo(f"{name:<9} growth Q2 {summary['q2_val_measured_mean']:.4f} +- {summary['q2_val_measured_std']:.4f} "
                   f"(5-fold CV, {summary['seconds_per_epoch_mean']:.3f} s/epoch) ({time.perf_counter() - t0:.1f} s)")

    cv, estimator = results[arch]
    estimator.fit(dataset.X, dataset.Y)
    save_model(estimator, out / "model", metrics=cv.summary())
    figure = predicted_vs_reference(
        dataset.growth.to_numpy(), cv.mean_prediction, out / "growth_cv.png", title="growth rate, 5-fold CV",
        xlabel="pFBA growth rate (1/h)", ylabel="predicted growth rate (1/h)",
        others={"ann-dense": results["ann-dense"][0].mean_prediction}, label=arch,
    )
    click.echo(f"saved     {out / 'model'} and {figure} in {time.perf_counter() - t0:.1f} s")
