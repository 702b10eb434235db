"""``amn train``: cross-validate and fit an AMN/ANN model on a flux dataset."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from amn.dataset import load_dataset, network_of
from amn.errors import DatasetMismatchError
from amn.evaluation import AMNFoldScorer, cross_validate
from amn.models import ARCHITECTURES, AMNRegressor, save_model


def _layer_params(pairs: tuple[str, ...]) -> dict:
    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--layer-param")
        key, value = pair.split("=", 1)
        params[key] = json.loads(value) if value[:1] in "-0123456789[{tfn" else value
    return params


@click.command()
@click.option("--dataset", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Training set written by `amn generate`.")
@click.option("--arch", type=click.Choice(ARCHITECTURES), default="amn-qp", show_default=True, help="Architecture.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Model directory to write.")
@click.option("--model", help="Model the dataset was generated on [default: recorded in the dataset].")
@click.option("--measured", help="Comma-separated measured reaction ids [default: the growth reaction].")
@click.option("--hidden", default="50", show_default=True, help="Hidden layer sizes of the dense (prior) network, e.g. 50,50.")
@click.option("--dropout", type=float, default=0.0, show_default=True)
@click.option("--epochs", type=int, default=100, show_default=True)
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True, help="Adam learning rate.")
@click.option("--patience", type=int, default=20, show_default=True, help="Early stopping: epochs without improvement of the validation loss.")
@click.option("--folds", type=int, default=5, show_default=True, help="Cross-validation folds (1 = no cross-validation).")
@click.option("--test", "test_path", type=click.Path(dir_okay=False, path_type=Path), help="Independent test set (a dataset file).")
@click.option("--w-sv", type=float, default=1.0, show_default=True, help="Weight of ||S V||^2.")
@click.option("--w-bound", type=float, default=1.0, show_default=True, help="Weight of the bound violation.")
@click.option("--w-neg", type=float, default=1.0, show_default=True, help="Weight of the negative fluxes.")
@click.option("--layer-param", multiple=True, help="Mechanistic layer setting KEY=VALUE (repeatable), e.g. iterations=8.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto (GPU when present), cpu, cuda, ...")
@click.option("--compile", "compile_", is_flag=True, help="Compile the training step (torch.compile): ~20 s once, then ~2x faster epochs.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def train(dataset, arch, out, model, measured, hidden, dropout, epochs, batch_size, lr, patience, folds, test_path,
          w_sv, w_bound, w_neg, layer_param, seed, device, compile_, quiet) -> None:
    """Cross-validate an architecture on a dataset, then train it on all samples and save it.

    Progress (epoch, loss terms, time left) is shown per fold.  Every fold and
    the final fit are checkpointed under OUT/checkpoints: rerun the same
    command after an interruption to resume.
    """
    data = load_dataset(dataset)
    if not model and data.model_source is None:
        raise DatasetMismatchError("the dataset does not record its model; pass --model")
    network = network_of(data, model or None)
    estimator = AMNRegressor(
        arch=arch, network=network, medium=data.medium_ids,
        measured=[m.strip() for m in measured.split(",")] if measured else None,
        bound=data.bound, hidden=tuple(int(h) for h in hidden.split(",") if h), dropout=dropout, epochs=epochs,
        batch_size=batch_size, lr=lr, patience=patience, w_sv=w_sv, w_bound=w_bound, w_neg=w_neg,
        layer_params=_layer_params(layer_param), seed=seed, device=device, compile=compile_, verbose=not quiet,
    )
    checkpoints = out / "checkpoints"
    metrics: dict = {}
    try:
        if folds > 1:
            test = load_dataset(test_path) if test_path else None
            checkpoints.mkdir(parents=True, exist_ok=True)
            from sklearn.model_selection import KFold

            result = cross_validate(estimator, data.X, data.Y, cv=KFold(folds, shuffle=True), seeds=(seed,),
                                    name=arch, scorer=AMNFoldScorer(), X_test=test.X if test else None,
                                    y_test=test.Y if test else None, workdir=checkpoints / "cv")
            click.echo(result.fold_scores.drop(columns="seed").round(4).to_string(index=False))
            metrics = result.summary()
            for key in ("q2_val_measured", "q2_val_fluxes", "q2_test_measured"):
                if f"{key}_mean" in metrics:
                    click.echo(f"{key}: {metrics[f'{key}_mean']:.4f} +- {metrics[f'{key}_std']:.4f}")
        estimator.fit(data.X, data.Y, checkpoint_dir=checkpoints / "final")
    except KeyboardInterrupt:
        click.echo(f"amn: interrupted; progress is kept in {checkpoints}: rerun the same command to resume", err=True)
        sys.exit(130)
    metrics["r2_train_measured"] = float(estimator.score(data.X, data.Y))
    save_model(estimator, out, metrics={**metrics, "dataset": str(dataset)})
    click.echo(f"{out}: {arch}, {estimator.n_params_} parameters, {estimator.seconds_per_epoch_:.4f} s/epoch, "
               f"best epoch {estimator.best_epoch_}, R2 on all samples {metrics['r2_train_measured']:.4f}")
