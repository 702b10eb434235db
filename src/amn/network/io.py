"""Reading and writing metabolic models (SBML, COBRApy JSON) with readable errors."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import cobra
from cobra.util.solver import linear_reaction_coefficients

from amn import data
from amn.errors import DataError, InputFileNotFoundError, ModelLoadError


def _bundled_textbook() -> Path:
    return Path(str(resources.files("cobra.data").joinpath("textbook.xml.gz")))


def resolve_model_path(source: str | Path) -> Path:
    """The file of a model given as a path, a BiGG id of the data directory, or ``textbook``.

    Parameters
    ----------
    source : str or Path
        A file path; a bare name without suffix (``iML1515``) looked up as
        ``models/<name>.xml.gz`` in the data directories (:mod:`amn.data`); or
        ``textbook`` for COBRApy's bundled E. coli core model.

    Returns
    -------
    Path

    Raises
    ------
    InputFileNotFoundError
        No such file (and, for a bare name, no such model in the data directories).
    """
    path = Path(source)
    if path.exists():
        return path
    name = str(source)
    if name == data.BUNDLED_MODEL:
        return _bundled_textbook()
    if path.suffix == "" and path.parent == Path("."):
        try:
            return data.model_path(name)
        except DataError as exc:
            raise InputFileNotFoundError(f"{name}: no such file, and {exc}") from None
    raise InputFileNotFoundError(f"{source}: no such file")


def _read(path: Path) -> cobra.Model:
    name = path.name.lower()
    if name.endswith((".json", ".json.gz")):
        try:
            return cobra.io.load_json_model(str(path))
        except Exception as exc:  # noqa: BLE001 -- cobra raises many types for a malformed file
            raise ModelLoadError(f"{path}: not a COBRApy JSON model ({_first_line(exc)})") from None
    try:
        with _quiet_cobra():
            return cobra.io.read_sbml_model(str(path))
    except Exception as exc:  # noqa: BLE001 -- libSBML and cobra raise many types
        raise ModelLoadError(f"{path}: not a valid SBML model ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    """The first line of the innermost error: COBRApy wraps the specific one (a NaN bound, ...) in a
    generic "Something went wrong reading the SBML model"."""
    while exc.__cause__ is not None and str(exc.__cause__).strip():
        exc = exc.__cause__
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _quiet_cobra:
    """Silence COBRApy's per-element SBML warnings while reading (errors still raise)."""

    def __enter__(self) -> None:
        self._logger = logging.getLogger("cobra.io.sbml")
        self._level = self._logger.level
        self._logger.setLevel(logging.ERROR)

    def __exit__(self, *exc_info) -> None:
        self._logger.setLevel(self._level)


def load_model(source: str | Path | cobra.Model) -> cobra.Model:
    """Load a metabolic model and check that it has an objective.

    Parameters
    ----------
    source : str, Path or cobra.Model
        A ``cobra.Model`` (returned as is), a path to SBML (``.xml``,
        ``.xml.gz``, ``.sbml``) or COBRApy JSON (``.json``), a BiGG model id
        found in the data directory (``iML1515``), or ``textbook`` for
        COBRApy's bundled E. coli core model.

    Returns
    -------
    cobra.Model

    Raises
    ------
    InputFileNotFoundError
        No such file or model (see :func:`resolve_model_path`).
    ModelLoadError
        Not SBML or COBRApy JSON, or no objective.

    Examples
    --------
    >>> load_model("textbook").id
    'e_coli_core'
    """
    if isinstance(source, cobra.Model):
        model, label = source, f"model {source.id}"
    else:
        path = resolve_model_path(source)
        model, label = _read(path), str(path)
    if not linear_reaction_coefficients(model):
        raise ModelLoadError(f"{label}: the model has no objective (no reaction with an objective coefficient)")
    return model


def write_sbml(model: cobra.Model, path: str | Path) -> Path:
    """Write a model as SBML level 3 with fbc.

    Parameters
    ----------
    model : cobra.Model
    path : str or Path
        ``.xml``, or ``.xml.gz`` (compressed).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ModelLoadError
        The file cannot be written.
    """
    path = Path(path)
    try:
        cobra.io.write_sbml_model(model, str(path))
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot write ({exc.strerror or exc})") from None
    if not path.is_file() or path.stat().st_size == 0:  # libsbml reports a failed write by its return value only
        raise ModelLoadError(f"{path}: cannot write (nothing was written)")
    return path
