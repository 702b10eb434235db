"""The method table and Markdown report of the experimental benchmark.

:func:`method_table` lines our protocol results up with the published values
(:data:`PUBLISHED`), and :func:`write_report` gathers table, notes and the figures of :mod:`amn.evaluation.figures`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from amn.evaluation.validation import CVResult

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


def _format(mean: float, sd: float, of_mean: float, repeats: int) -> tuple[str, str]:
    if math.isnan(mean):
        return "", ""
    return (f"{mean:.3f} ± {sd:.3f}" if repeats > 1 else f"{mean:.3f}"), f"{of_mean:.3f}"


def method_table(
    results: Sequence[CVResult],
    published: Mapping[str, str] = PUBLISHED,
    notes: Mapping[str, str] | None = None,
    computed: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per method: ours (mean ± SD over repeats, score of the mean prediction), the published
    value, seconds, note; then the published rows we have no CV result for, with a value we computed
    otherwise (``computed``, e.g. the noise ceiling) or empty."""
    notes, computed = notes or {}, computed or {}
    rows = []
    for r in results:
        metric = r.metric
        ours, of_mean = _format(r.mean(), r.sd(), r.score_of_mean(), len(r.seeds))
        rows.append({
            "method": r.name,
            f"{metric} (ours)": ours,
            f"{metric} of mean prediction": of_mean,
            "published": published.get(r.name, ""),
            "seconds": f"{r.seconds:.1f}",
            "note": notes.get(r.name, ""),
        })
    metric = results[0].metric if results else "q2"
    ours_names = {r.name for r in results}
    for name, value in published.items():
        if name not in ours_names:
            ours = f"{computed[name]:.3f}" if name in computed else ""
            rows.append({"method": name, f"{metric} (ours)": ours, f"{metric} of mean prediction": "",
                         "published": value, "seconds": "", "note": notes.get(name, "" if ours else "not run here")})
    return pd.DataFrame(rows)


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
