"""The method tables and Markdown report of the experimental benchmark and of ``amn experiment cv``.

:func:`method_table` is the human table (``mean ± SD`` strings) that lines our protocol results up with
the published values (:data:`PUBLISHED`, only for the published table: :func:`published_for`),
:func:`results_frame` the machine-readable one (``results.csv``), :func:`predictions_table` the pooled
held-out predictions (``predictions.csv``), and :func:`write_report` gathers table, notes and the
figures of :mod:`amn.evaluation.figures`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from amn.data import sha256_of
from amn.evaluation.metrics import VARIANCE_WEIGHTED
from amn.evaluation.validation import CVResult

#: sha256 of the published E. coli DH5-alpha table (``experimental/ecoli_dh5a_growth/iML1515_EXP.csv`` of the
#: data directory): :data:`PUBLISHED` belongs beside results on that file only.
PUBLISHED_SHA256 = "d40b7c20dbb1e0041a047bd50a13a3873dcac6094805e487d879216e7559b12b"

#: What each metric column holds (the report states it).
METRIC_LABELS: dict[str, str] = {
    "q2": "Q² = 1 - SS_res/SS_tot of the pooled held-out predictions",
    VARIANCE_WEIGHTED: "variance-weighted Q² over the targets, 1 - Σ_targets SS_res / Σ_targets SS_tot of the pooled "
                       "held-out predictions (scikit-learn r2_score, multioutput='variance_weighted': constant "
                       "targets have no weight)",
    "accuracy": "accuracy of the predicted classes",
    "balanced_accuracy": "balanced accuracy (mean recall of the two classes)",
    "roc_auc": "ROC AUC of the class-1 score",
    "majority_rate": "majority-class rate: share of the most frequent class of the scored rows "
                     "(the accuracy of always predicting it)",
}

#: Published Q² on the E. coli DH5-alpha table (AMN paper, Nature Communications 2023), and the
#: reference figures of this protocol (``../shared/REFERENCE.md``), by method name of the table.
PUBLISHED: dict[str, str] = {
    "AMN-LP": "0.785 ± 0.012",
    "AMN-QP": "0.778 ± 0.029",
    "AMN-W": "0.774",
    "reservoir": "0.760 ± 0.025",
    "FBA with reservoir bounds": "0.786",
    "ANN-Dense": "0.777",
    "random forest": "0.715 (reference run: 0.709)",
    "FBA, best single bound + affine": "R² 0.518",
    "ridge": "0.798 (reference run)",
    "Gaussian process (ARD)": "0.800 (reference run)",
    "noise ceiling": "0.911",
}


def published_for(path: str | Path, target: str = "GR_AVG") -> dict[str, str]:
    """The published figures that belong beside results on the table at ``path``: :data:`PUBLISHED` when the
    file is the published table (its sha256 is :data:`PUBLISHED_SHA256`) and the target is ``GR_AVG``, else none.

    Parameters
    ----------
    path : str or Path
        The table's file.
    target : str, default "GR_AVG"
        The target column scored.

    Returns
    -------
    dict
        Method name -> published value; empty for any other table or target.
    """
    try:
        same = sha256_of(path) == PUBLISHED_SHA256
    except OSError:
        return {}
    return dict(PUBLISHED) if same and target == "GR_AVG" else {}


def _format(mean: float, sd: float, of_mean: float, repeats: int) -> tuple[str, str]:
    if math.isnan(mean):
        return "", ""
    return (f"{mean:.3f} ± {sd:.3f}" if repeats > 1 else f"{mean:.3f}"), ("" if math.isnan(of_mean) else f"{of_mean:.3f}")


def _metric_cells(r: CVResult) -> dict[str, str]:
    """The human cells of one result: the headline metric (ours, of the mean prediction), then the other metrics."""
    ours, of_mean = _format(r.mean(), r.sd(), r.score_of_mean(), len(r.seeds))
    cells = {f"{r.metric} (ours)": ours, f"{r.metric} of mean prediction": of_mean}
    for m in r.metrics:
        if m != r.metric and _headline_like(m):
            mean = r.mean(m)
            repeats = 1 if m == "majority_rate" else len(r.seeds)
            cells[m] = "" if math.isnan(mean) else _format(mean, r.sd(m), math.nan, repeats)[0]
    return cells


def _headline_like(metric: str) -> bool:
    """A metric of the human table and of the ``_sd`` columns (not one of the per-target ``q2_<target>``)."""
    return not metric.startswith("q2_") or metric == VARIANCE_WEIGHTED


def method_table(
    results: Sequence[CVResult],
    published: Mapping[str, str] = PUBLISHED,
    notes: Mapping[str, str] | None = None,
    computed: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The human table, one row per method: ours (mean ± SD over repeats, score of the mean prediction), the
    other metrics of the task (classification: accuracy, balanced accuracy, majority-class rate), the
    published value, seconds, note; then the published rows we have no result for, with a value we computed
    otherwise (``computed``, e.g. the noise ceiling) or empty.

    Parameters
    ----------
    results : sequence of CVResult
    published : mapping, default PUBLISHED
        Method name -> published value; empty (e.g. :func:`published_for` of another table): no
        ``published`` column and no rows for methods not run.
    notes : mapping, optional
        Method name -> note.
    computed : mapping, optional
        Values for published rows without a result.

    Returns
    -------
    pandas.DataFrame
        Formatted strings; :func:`results_frame` is the numeric table.
    """
    notes, computed = notes or {}, computed or {}
    rows = []
    for r in results:
        row = {"method": r.name, **_metric_cells(r)}
        if published:
            row["published"] = published.get(r.name, "")
        rows.append({**row, "seconds": f"{r.seconds:.1f}", "note": notes.get(r.name, "")})
    metric = results[0].metric if results else "q2"
    ours_names = {r.name for r in results}
    for name, value in published.items():
        if name not in ours_names:
            ours = f"{computed[name]:.3f}" if name in computed else ""
            rows.append({"method": name, f"{metric} (ours)": ours, f"{metric} of mean prediction": "",
                         "published": value, "seconds": "", "note": notes.get(name, "" if ours else "not run here")})
    return pd.DataFrame(rows).fillna("")


def results_frame(
    results: Sequence[CVResult],
    notes: Mapping[str, str] | None = None,
    published: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The machine-readable method table (``results.csv``): one row per method, numeric metric columns.

    Parameters
    ----------
    results : sequence of CVResult
        All of one task.
    notes : mapping, optional
        Method name -> note.
    published : mapping, optional
        Method name -> published value; adds a ``published`` column (text) when not empty.

    Returns
    -------
    pandas.DataFrame
        Columns ``method``; regression ``q2``, ``q2_sd``, ``q2_of_mean``; several targets
        ``q2_variance_weighted`` (with ``_sd``, ``_of_mean``) then ``q2_<target>`` per target (mean over
        repeats of its pooled Q²); classification ``accuracy``,
        ``balanced_accuracy``, ``roc_auc`` (each with ``_sd``) and ``majority_rate``; then ``seconds``,
        ``note`` and ``published`` when given.  With one repeat (every result of a single seed, e.g. a
        test table) there are no ``_sd`` columns.  ``_sd`` is the SD over repeats, ``_of_mean`` the
        score of the prediction averaged over repeats.
    """
    notes = notes or {}
    several = any(len(r.seeds) > 1 for r in results)
    rows = []
    for r in results:
        row: dict[str, object] = {"method": r.name}
        for m in r.metrics:
            row[m] = r.mean(m)
            if several and m != "majority_rate" and _headline_like(m):
                row[f"{m}_sd"] = r.sd(m)
            if several and r.task == "regression" and _headline_like(m):
                row[f"{m}_of_mean"] = r.score_of_mean(m)
        row["seconds"] = r.seconds
        row["note"] = notes.get(r.name, "")
        if published:
            row["published"] = published.get(r.name, "")
        rows.append(row)
    return pd.DataFrame(rows)


def predictions_table(results: Sequence[CVResult], index: Sequence | None = None,
                      index_name: str = "medium") -> pd.DataFrame:
    """The pooled held-out predictions (``predictions.csv``): ``measured``, then one column per method
    (several targets: ``measured:<target>`` per target, then ``<method>:<target>`` per method and target).

    Parameters
    ----------
    results : sequence of CVResult
        On the same rows.
    index : sequence, optional
        Row labels (the table's media).
    index_name : str, default "medium"
        Name of the index column (e.g. the table's key column).

    Returns
    -------
    pandas.DataFrame
        Column ``<method>``: the held-out prediction averaged over repeats (classification: the score of
        class 1).
    """
    if not results:
        return pd.DataFrame(index=index)
    targets = results[0].targets
    if targets is None:
        frame = pd.DataFrame({"measured": results[0].y}, index=index)
        for r in results:
            frame[r.name] = r.mean_prediction
    else:
        columns = {f"measured:{t}": results[0].y[:, j] for j, t in enumerate(targets)}
        for r in results:
            columns.update({f"{r.name}:{t}": r.mean_prediction[:, j] for j, t in enumerate(targets)})
        frame = pd.DataFrame(columns, index=index)
    frame.index.name = index_name
    return frame


def metric_notes(columns: Sequence[str]) -> str:
    """One Markdown line per metric column of a table: what it holds."""
    lines = []
    for column in columns:
        metric = str(column).split(" ")[0]
        if metric in METRIC_LABELS:
            how = ("score of the prediction averaged over repeats" if "of mean" in column
                   else "" if metric == "majority_rate" else "mean ± SD over repeats")
            lines.append(f"- `{column}`: {METRIC_LABELS[metric]}" + (f"; {how}" if how else ""))
    per_target = [c for c in (str(c).split(" ")[0] for c in columns) if c.startswith("q2_") and not _headline_like(c)
                  and not c.endswith(("_sd", "_of_mean"))]
    if per_target:
        lines.append(f"- `q2_<target>` ({len(per_target)} columns): Q² of that target alone, pooled held-out "
                     "predictions, mean over repeats")
    if "published" in columns:
        lines.append("- `published`: the published figure (AMN paper, E. coli DH5-alpha, 110 media) for this table")
    return "\n".join(lines)


def results_notes(columns: Sequence[str]) -> str:
    """What the columns of ``results.csv`` hold (the report states it), one Markdown line per kind of column."""
    columns = [str(c) for c in columns]
    lines = [f"- `{c}`: {METRIC_LABELS[c]}; mean over repeats" for c in columns if c in METRIC_LABELS]
    if any(c.endswith("_sd") for c in columns):
        lines.append("- `<metric>_sd`: sample SD over repeats; `<metric>_of_mean`: score of the prediction averaged "
                     "over repeats")
    per_target = [c for c in columns if c.startswith("q2_") and not _headline_like(c)
                  and not c.endswith(("_sd", "_of_mean"))]
    if per_target:
        lines.append(f"- `q2_<target>` ({len(per_target)} columns): Q² of that target alone (pooled held-out "
                     "predictions), mean over repeats")
    lines.append("- `seconds`: wall time of the method's whole protocol; `note`: what the reader must know")
    return "\n".join(lines)


def markdown_table(table: pd.DataFrame) -> str:
    """A DataFrame as a GitHub Markdown table (no tabulate dependency)."""
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


def write_report(
    path: str | Path,
    table: pd.DataFrame,
    figures: Sequence[Path] = (),
    title: str = "Experimental growth rates",
    sections: Mapping[str, str] | None = None,
) -> Path:
    """A Markdown report: the method table, free-text ``sections`` (heading -> Markdown) and the PNG figures
    (linked relative to the report)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [f"# {title}", "", markdown_table(table), ""]
    for heading, body in (sections or {}).items():
        parts += [f"## {heading}", "", body.strip(), ""]
    pngs = [Path(f) for f in figures if Path(f).suffix == ".png"]
    if pngs:
        parts += ["## Predicted vs measured", ""]
        for png in pngs:
            parts.append(f"![{png.stem}]({Path(os.path.relpath(png, path.parent)).as_posix()})")
        parts.append("")
    path.write_text("\n".join(parts))
    return path
