"""``amn evaluate``: score a saved model on a flux dataset."""

from __future__ import annotations

from pathlib import Path

import click

from amn.cli._options import check_inputs
from amn.dataset import check_network, load_dataset
from amn.errors import DatasetMismatchError, id_list
from amn.evaluation.metrics import r2
from amn.models import load_model_dir
from amn.network.knockouts import KO_PREFIX


@click.command()
@click.argument("model_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dataset", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Dataset to score the model on.")
def evaluate(model_dir: Path, dataset: Path) -> None:
    """Score a saved model on a dataset: Q^2 of the measured fluxes, of all fluxes, and the loss terms."""
    check_inputs({"--dataset": dataset})
    estimator = load_model_dir(model_dir)
    data = load_dataset(dataset)
    check_network(data, estimator.network_, str(dataset), f"the model in {model_dir}")
    inputs = [c for c in data.X.columns if not str(c).startswith(KO_PREFIX)]
    missing = [c for c in estimator.medium_ if c not in inputs]
    extra = [c for c in inputs if c not in set(estimator.medium_)]
    if missing or extra:
        raise DatasetMismatchError(f"{dataset}: its media are not the model's (in {model_dir}): "
                                   + "; ".join(f"{what} {id_list(ids)}" for what, ids in
                                               (("uptakes the model lacks:", extra), ("model uptakes missing:",
                                                                                      missing)) if ids))
    click.echo(f"q2_measured {estimator.score(data.X, data.Y):.4f}")
    if estimator.predicts_fluxes:
        fluxes = estimator.predict_fluxes(data.X)
        click.echo(f"q2_fluxes {r2(data.Y[fluxes.columns].to_numpy(), fluxes.to_numpy()):.4f}")
    for name, value in estimator.loss_terms(data.X, data.Y).items():
        click.echo(f"{name} {value:.4g}")
