"""``amn train``, ``amn evaluate``, ``amn predict``: AMN/ANN models on flux datasets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd

from amn.csv_input import read_csv
from amn.dataset import load_dataset
from amn.errors import DatasetMismatchError, UnknownGeneError
from amn.evaluation.flux_cv import cross_validate
from amn.evaluation.metrics import r2
from amn.models import ARCHITECTURES, AMNRegressor
from amn.models.persist import load_model_dir, save_model
from amn.network import make_unidirectional
from amn.network.knockouts import KO_PREFIX, parse_knockouts


def _network_of(dataset, model_option: str | None):
    """The network a dataset was generated on (checked by sha256)."""
    source = model_option or dataset.metadata.get("model_source")
    if source is None:
        raise DatasetMismatchError("the dataset does not record its model; pass --model")
    network = make_unidirectional(source)
    if network.sha256() != dataset.metadata.get("model_sha256"):
        raise DatasetMismatchError(f"model {source} is not the network the dataset was generated on (sha256 differs)")
    return network


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
    network = _network_of(data, model)
    bound = data.metadata.get("bound", "UB")
    estimator = AMNRegressor(
        arch=arch, network=network, medium=[c for c in data.X.columns if not str(c).startswith(KO_PREFIX)],
        measured=[m.strip() for m in measured.split(",")] if measured else None,
        bound=bound, hidden=tuple(int(h) for h in hidden.split(",") if h), dropout=dropout, epochs=epochs,
        batch_size=batch_size, lr=lr, patience=patience, w_sv=w_sv, w_bound=w_bound, w_neg=w_neg,
        layer_params=_layer_params(layer_param), seed=seed, device=device, compile=compile_, verbose=not quiet,
    )
    checkpoints = out / "checkpoints"
    metrics: dict = {}
    try:
        if folds > 1:
            test = load_dataset(test_path) if test_path else None
            checkpoints.mkdir(parents=True, exist_ok=True)
            result = cross_validate(estimator, data.X, data.Y, folds=folds, seed=seed,
                                    X_test=test.X if test else None, Y_test=test.Y if test else None,
                                    workdir=checkpoints / "cv")
            click.echo(result.folds.round(4).to_string(index=False))
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


@click.command()
@click.argument("model_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--dataset", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Dataset to score the model on.")
def evaluate(model_dir: Path, dataset: Path) -> None:
    """Score a saved model on a dataset: Q^2 of the measured fluxes, of all fluxes, and the loss terms."""
    estimator = load_model_dir(model_dir)
    data = load_dataset(dataset)
    if data.metadata.get("model_sha256") != estimator.network_.sha256():
        raise DatasetMismatchError(f"{dataset}: generated on another network than the model in {model_dir}")
    click.echo(f"q2_measured {estimator.score(data.X, data.Y):.4f}")
    if estimator.predicts_fluxes:
        fluxes = estimator.predict_fluxes(data.X)
        click.echo(f"q2_fluxes {r2(data.Y[fluxes.columns].to_numpy(), fluxes.to_numpy()):.4f}")
    for name, value in estimator.loss_terms(data.X, data.Y).items():
        click.echo(f"{name} {value:.4g}")


@click.command()
@click.argument("model_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--media", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV with one row per medium, columns = the model's medium uptake ids.")
@click.option("--knockouts", "knockouts_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV with one row per medium row and a column `knockouts`: `;`-separated gene (or reaction) ids, empty = wild type.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV of predicted fluxes (columns = reaction ids).")
def predict(model_dir: Path, media: Path, knockouts_path: Path | None, out: Path) -> None:
    """Predict the fluxes of a saved model for the media of a CSV table.

    Knockouts come from KO:<gene> indicator columns of the media table (1 = knocked
    out) and from --knockouts; AMNs remove the reactions of the knocked-out genes
    through the gene-reaction rules, for any gene of the network.
    """
    estimator = load_model_dir(model_dir)
    table = _read_table(media)
    missing = [c for c in estimator.medium_ if c not in table.columns]
    if missing:
        raise DatasetMismatchError(f"{media}: missing medium column(s) {', '.join(missing[:5])}")
    values = table[estimator.medium_].apply(pd.to_numeric, errors="coerce")
    if values.isna().any().any():
        row, col = np.argwhere(values.isna().to_numpy())[0]
        raise DatasetMismatchError(f"{media}: row {row + 1}, column {estimator.medium_[col]}: not a number")
    flags = table[[c for c in table.columns if str(c).startswith(KO_PREFIX)]].apply(pd.to_numeric, errors="coerce")
    if flags.isna().any().any():
        row, col = np.argwhere(flags.isna().to_numpy())[0]
        raise DatasetMismatchError(f"{media}: row {row + 1}, column {flags.columns[col]}: not a number")
    values = pd.concat([values, flags], axis=1)
    knockouts = None
    if knockouts_path is not None:
        knockouts = _read_knockouts(knockouts_path, len(values))
        try:
            estimator.knockouts_.mask(knockouts)
        except UnknownGeneError as exc:
            raise UnknownGeneError(f"{knockouts_path}: {exc}") from None
    try:  # --knockouts is checked above: an unknown gene here is one of the media table's KO: columns
        if not estimator.predicts_fluxes:
            fluxes = pd.DataFrame(np.asarray(estimator.predict(values, knockouts)).reshape(len(values), -1),
                                  columns=estimator.measured_)
        else:
            fluxes = estimator.predict_fluxes(values, knockouts)
    except UnknownGeneError as exc:
        raise UnknownGeneError(f"{media}: {exc}") from None
    fluxes.to_csv(out, index=False)
    click.echo(f"{out}: {len(fluxes)} media x {fluxes.shape[1]} fluxes")


def _read_table(path: Path, **options) -> pd.DataFrame:
    return read_csv(path, DatasetMismatchError, index_col=None, **options)


def _read_knockouts(path: Path, rows: int) -> list[frozenset[str]]:
    """Per-row knockout sets of a ``--knockouts`` table (column ``knockouts``, one row per medium)."""
    if not Path(path).exists():
        raise DatasetMismatchError(f"{path}: no such file")
    table = _read_table(path, skip_blank_lines=False)  # a blank line is a wild-type row
    if "knockouts" not in table.columns:
        raise DatasetMismatchError(f"{path}: no column 'knockouts' (`;`-separated gene ids per medium row)")
    if len(table) != rows:
        raise DatasetMismatchError(f"{path}: {len(table)} rows, the media table has {rows}")
    return parse_knockouts("" if pd.isna(value) else str(value) for value in table["knockouts"])
