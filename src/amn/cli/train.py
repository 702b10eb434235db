"""``amn train``: cross-validate and fit an AMN/ANN model on a flux dataset."""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from amn.cli._options import FiniteRange, IdList, check_inputs, check_output, device_option, epochs_line, option_names
from amn.errors import AMNError, DatasetMismatchError, ParameterError, UnknownReactionError, id_list
from amn.models.names import ARCHITECTURES

if TYPE_CHECKING:
    from amn.models import AMNRegressor

POSITIVE = click.IntRange(min=1)
NON_NEGATIVE = FiniteRange(min=0)


def _layer_params(pairs: tuple[str, ...]) -> dict:
    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--layer-param")
        key, value = pair.split("=", 1)
        try:
            params[key] = json.loads(value) if value[:1] in "-0123456789[{tfn" else value
        except json.JSONDecodeError:
            raise click.BadParameter(f"{pair!r}: {value!r} is not a value", param_hint="--layer-param") from None
    return params


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(h) for h in text.split(",") if h.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not comma-separated layer sizes", param_hint="--hidden") from None
    if any(size < 1 for size in sizes):
        raise click.BadParameter(f"{text!r}: layer sizes must be >= 1", param_hint="--hidden")
    return sizes


def _value(text: str):
    """One grid value: a number, true/false, layer sizes such as 50x50, or the text itself."""
    if "x" in text and all(part.isdigit() for part in text.split("x")):
        return tuple(int(part) for part in text.split("x"))
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return tuple(value) if isinstance(value, list) else value


def _grid(pairs: tuple[str, ...], layer_params: dict) -> dict[str, list]:
    """``--grid KEY=V1,V2`` options as a ParameterGrid dict; ``layer.KEY`` values vary the layer settings."""
    from amn.models import AMNRegressor

    grid, layer = {}, {}
    for pair in pairs:
        key, _, values = pair.partition("=")
        if not key or not values:
            raise click.BadParameter(f"{pair!r} is not KEY=V1,V2,...", param_hint="--grid")
        parsed = [_value(v.strip()) for v in values.split(",") if v.strip()]
        default = AMNRegressor().get_params().get(key.replace("-", "_"))
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            bad = [v for v in parsed if isinstance(v, (str, bool)) or not math.isfinite(v)]
            if bad:
                raise click.BadParameter(f"{pair!r}: {bad[0]!r} is not a number", param_hint="--grid")
        if key.startswith("layer."):
            layer[key[len("layer."):]] = parsed
        else:
            grid[key.replace("-", "_")] = [(v,) if key == "hidden" and isinstance(v, int) else v for v in parsed]
    if layer:
        from sklearn.model_selection import ParameterGrid

        grid["layer_params"] = [{**layer_params, **point} for point in ParameterGrid(layer)]
    return grid


def _check_inputs(dataset: Path, test_path: Path | None, model: str | None, measured: list[str] | None, folds: int):
    """Load and check the dataset, its network and the test set, before anything is written."""
    from amn.dataset import check_network, load_dataset, network_of

    data = load_dataset(dataset)
    if not model and data.model_source is None:
        raise DatasetMismatchError(f"{dataset}: the dataset does not record its model; pass --model")
    if folds > len(data.X):
        raise ParameterError(f"--folds {folds}: more folds than the {len(data.X)} samples of {dataset}")
    missing = [m for m in measured or () if m not in data.Y.columns]
    if missing:
        raise UnknownReactionError(f"--measured: not fluxes of {dataset}: {id_list(missing)}")
    network = network_of(data, model or None)
    test = None
    if test_path is not None:
        test = load_dataset(test_path)
        check_network(test, network, str(test_path), f"the network of {dataset}")
        if list(test.X.columns) != list(data.X.columns):
            raise DatasetMismatchError(f"{test_path}: its inputs (X columns) differ from those of {dataset}")
    return data, network, test


class _FoldBar:
    """A progress bar over finished folds (distributed runs, where each fold's epochs run elsewhere)."""

    def __init__(self, shown: bool) -> None:
        self.shown, self.bar = shown, None

    def __enter__(self):
        if not self.shown:
            return None
        from tqdm import tqdm

        self.bar = tqdm(unit="fold", desc="folds")

        def progress(done: int, total: int) -> None:
            self.bar.total = total
            self.bar.update(done - self.bar.n)

        return progress

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


def _cross_validate(estimator, points, data, test, folds, seed, executor, checkpoints, progress, out):
    """The CV of ``estimator`` (``points`` empty), or the sweep: OUT/sweep.csv, the best point set on ``estimator``."""
    from sklearn.model_selection import KFold

    from amn.evaluation import AMNFoldScorer, cross_validate

    common = {"seeds": (seed,), "cv": KFold(folds, shuffle=True), "scorer": AMNFoldScorer(), "executor": executor,
              "progress": progress}
    if not points:
        return cross_validate(estimator, data.X, data.Y, name=estimator.arch, X_test=test.X if test else None,
                              y_test=test.Y if test else None, workdir=checkpoints / "cv", **common)
    from amn.evaluation.sweep import sweep

    table, results = sweep(estimator, points, data.X, data.Y, workdir=checkpoints / "sweep", **common)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "sweep.csv", index=False)
    best = int(table["q2_val_measured_mean"].to_numpy().argmax())
    shown = [c for c in table.columns if c in points or c in ("q2_val_measured_mean", "q2_val_measured_std")]
    click.echo(table[shown].round(4).to_string())
    click.echo(f"{out / 'sweep.csv'}: {len(table)} points; best (row {best}): "
               + ", ".join(f"{k}={table.iloc[best][k]}" for k in points))
    from sklearn.model_selection import ParameterGrid

    estimator.set_params(**list(ParameterGrid(points))[best])
    return results[best]


def _claim_checkpoints(checkpoints: Path, estimator: AMNRegressor, data, test, folds: int, points: dict) -> None:
    """Mark ``checkpoints`` as this run's, or refuse them when another run left them (:func:`claim_run`).

    What decides a run: the estimator's parameters (the network by its sha256), the folds, the sweep
    grid, and the training and test arrays.
    """
    from amn.evaluation.runs import claim_run, frame_digest

    params = {k: v for k, v in estimator.get_params().items() if k not in ("verbose", "device")}
    network = params["network"]
    params["network"] = network.sha256() if hasattr(network, "sha256") else network
    claim_run(checkpoints, {**params, "folds": folds, "grid": points, "dataset": frame_digest(data.X, data.Y),
                            "test set": None if test is None else frame_digest(test.X, test.Y)})


@click.command()
@click.option("--dataset", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Training set written by `amn generate`.")
@click.option("--arch", type=click.Choice(ARCHITECTURES), default="amn-qp", show_default=True, help="Architecture.")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Model directory to write.")
@click.option("--model", help="Model the dataset was generated on [default: recorded in the dataset].")
@click.option("--measured", type=IdList(), help="Comma-separated measured reaction ids [default: the growth reaction].")
@click.option("--hidden", default="50", show_default=True, help="Hidden layer sizes of the dense (prior) network, e.g. 50,50.")
@click.option("--dropout", type=FiniteRange(0, 1, max_open=True), default=0.0, show_default=True)
@click.option("--epochs", type=POSITIVE, default=100, show_default=True)
@click.option("--batch-size", type=POSITIVE, default=32, show_default=True)
@click.option("--lr", type=FiniteRange(min=0, min_open=True), default=1e-3, show_default=True, help="Adam learning rate.")
@click.option("--patience", type=click.IntRange(min=0), default=20, show_default=True, help="Early stopping: epochs without improvement of the validation loss.")
@click.option("--folds", type=POSITIVE, default=5, show_default=True, help="Cross-validation folds (1 = no cross-validation).")
@click.option("--test", "test_path", type=click.Path(dir_okay=False, path_type=Path), help="Independent test set (a dataset file of the same network).")
@click.option("--w-sv", type=NON_NEGATIVE, default=1.0, show_default=True, help="Weight of ||S V||^2.")
@click.option("--w-bound", type=NON_NEGATIVE, default=1.0, show_default=True, help="Weight of the bound violation.")
@click.option("--w-neg", type=NON_NEGATIVE, default=1.0, show_default=True, help="Weight of the negative fluxes.")
@click.option("--layer-param", multiple=True, help="Mechanistic layer setting KEY=VALUE (repeatable), e.g. iterations=8.")
@click.option("--seed", type=int, default=0, show_default=True)
@device_option
@click.option("--compile", "compile_", is_flag=True, help="Compile the training step (torch.compile): ~20 s once, then ~2x faster epochs.")
@click.option("--reduce", "reduce_", is_flag=True, help="Drop the reactions that carry no flux in the training set "
              "(keeping medium, measured and objective reactions) and train on that smaller network; predictions "
              "stay full width (zeros on the dropped reactions).")
@click.option("--grid", multiple=True, help="Sweep: KEY=V1,V2 (repeatable) over estimator parameters (lr, hidden "
              "as 50x50, batch-size, w-sv, ...; layer.KEY for layer settings); writes OUT/sweep.csv and trains "
              "the best point (q2_val_measured).")
@click.option("--workers", type=POSITIVE, default=1, show_default=True,
              help="Folds (and sweep points) on a local Dask cluster of this many processes (1 = in this process).")
@click.option("--dask", "dask_address", help="Run the folds on an existing Dask scheduler (tcp://host:8786).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def train(dataset, arch, out, model, measured, hidden, dropout, epochs, batch_size, lr, patience, folds, test_path,
          w_sv, w_bound, w_neg, layer_param, seed, device, compile_, reduce_, grid, workers, dask_address,
          quiet) -> None:
    """Cross-validate an architecture on a dataset, then train it on all samples and save it.

    Progress (epoch, loss terms, time left) is shown per fold (with --workers
    or --dask, per finished fold).  Every fold and the final fit are
    checkpointed under OUT/checkpoints: rerun the same command after an
    interruption to resume.  Results do not depend on the number of workers.
    Options, the dataset and the test set are checked before OUT is created.
    """
    check_inputs({"--dataset": dataset, "--test": test_path})
    check_output(out, folder=True)

    from amn.evaluation.executors import executor_for
    from amn.models import AMNRegressor, save_model
    from amn.training.checkpoint import checkpoint_epochs

    measured_ids = measured or None
    layers, layer_params = _hidden(hidden), _layer_params(layer_param)
    points = _grid(grid, layer_params)
    if points and folds < 2:
        raise ParameterError("--grid: a sweep compares points by cross-validation; give --folds 2 or more")
    if reduce_ and not AMNRegressor(arch=arch).predicts_fluxes:
        raise ParameterError(f"--reduce: {arch} predicts the measured fluxes only; use ann-sv or an AMN")
    data, network, test = _check_inputs(dataset, test_path, model, measured_ids, folds)
    estimator = AMNRegressor(
        arch=arch, network=network, medium=data.medium_ids, measured=measured_ids, bound=data.bound, hidden=layers,
        dropout=dropout, epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, w_sv=w_sv, w_bound=w_bound,
        w_neg=w_neg, layer_params=layer_params, seed=seed, device=device, compile=compile_, verbose=not quiet,
        reduce=reduce_,
    )
    executor = executor_for(workers, dask_address)
    distributed = workers > 1 or bool(dask_address)
    checkpoints = out / "checkpoints"
    created = not out.exists()
    metrics: dict = {}
    try:
        _claim_checkpoints(checkpoints, estimator, data, test, folds, points)
        with option_names(layer_params="--grid layer.*" if "layer_params" in points else "--layer-param"):
            if folds > 1:
                with executor, _FoldBar(distributed and not quiet) as progress:
                    result = _cross_validate(estimator.set_params(verbose=not (quiet or distributed)), points, data,
                                             test, folds, seed, executor, checkpoints, progress, out)
                estimator.set_params(verbose=not quiet)
                click.echo(result.fold_scores.drop(columns="seed").round(4).to_string(index=False))
                metrics = result.summary()
                for key in ("q2_val_measured", "q2_val_fluxes", "q2_test_measured"):
                    if f"{key}_mean" in metrics:
                        click.echo(f"{key}: {metrics[f'{key}_mean']:.4f} +- {metrics[f'{key}_std']:.4f}")
            resumed = checkpoint_epochs(checkpoints / "final")
            estimator.fit(data.X, data.Y, checkpoint_dir=checkpoints / "final")
    except KeyboardInterrupt:
        click.echo(f"amn: interrupted; progress is kept in {checkpoints}: rerun the same command to resume", err=True)
        sys.exit(130)
    except AMNError:
        if created and not any(out.rglob("checkpoint.json")) and not any(out.rglob("fold_*.json")):
            # nothing worth keeping: leave no output folder
            shutil.rmtree(out, ignore_errors=True)
        raise
    if estimator.reduced_network_ is not None:
        click.echo(f"reduced network: {len(network.reaction_ids)} -> {estimator.n_reactions_kept_} reactions kept")
    metrics["r2_train_measured"] = float(estimator.score(data.X, data.Y))
    if test is not None and folds == 1:
        metrics["q2_test_measured"] = float(estimator.score(test.X, test.Y))
        click.echo(f"q2_test_measured: {metrics['q2_test_measured']:.4f}")
    save_model(estimator, out, metrics={**metrics, "dataset": str(dataset)})
    click.echo(f"{out}: {arch}, {estimator.n_params_} parameters, {epochs_line(estimator.history_, resumed)}, "
               f"best epoch {estimator.best_epoch_}, R2 on all samples {metrics['r2_train_measured']:.4f}")
