"""``amn evaluate``: score a saved model on a flux dataset."""

from __future__ import annotations

from pathlib import Path

import click

from amn.cli._options import check_inputs


@click.command()
@click.argument("model_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dataset", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Dataset to score the model on.")
def evaluate(model_dir: Path, dataset: Path) -> None:
    """Score a saved model on a dataset: Q^2 of the measured fluxes, of all fluxes, and the loss terms."""
    check_inputs({"--dataset": dataset})

    from amn.dataset import check_medium, check_network, load_dataset
    from amn.evaluation.metrics import r2
    from amn.models import load_model_dir

    estimator = load_model_dir(model_dir)
    data = load_dataset(dataset)
    check_network(data, estimator.network_, str(dataset), f"the model in {model_dir}")
    check_medium(data, estimator.medium_, str(dataset), f"the model in {model_dir}")
    click.echo(f"q2_measured {estimator.score(data.X, data.Y):.4f}")
    if estimator.predicts_fluxes:
        fluxes = estimator.predict_fluxes(data.X)
        click.echo(f"q2_fluxes {r2(data.Y[fluxes.columns].to_numpy(), fluxes.to_numpy()):.4f}")
    for name, value in estimator.loss_terms(data.X, data.Y).items():
        click.echo(f"{name} {value:.4g}")
