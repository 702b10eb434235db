"""Where the data files live, and how users outside this project get them.

Files are named by their path relative to a data directory laid out as
``models/``, ``media/`` and ``experimental/``.  A file is looked up in order:

1. ``$AMN_DATA_DIR`` (set it to point at your own copy);
2. ``shared/data`` beside the repository (``../shared/data`` from its root);
3. the download cache (``$XDG_CACHE_HOME/amn`` or ``~/.cache/amn``), filled by
   :func:`fetch` / ``amn data fetch NAME`` from the public source, with the
   sha256 pinned below.

Nothing here touches the network unless :func:`fetch` is called.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from amn.errors import DataError

ENV_VAR = "AMN_DATA_DIR"

#: Name of the E. coli core model that COBRApy ships; loads with no data directory.
BUNDLED_MODEL = "textbook"

_BIGG = "http://bigg.ucsd.edu/static/models/{}.xml.gz"
_AMN_RELEASE = "https://raw.githubusercontent.com/brsynth/amn_release/{commit}/{path}"


@dataclass(frozen=True)
class RemoteFile:
    """A data file with its public source and pinned checksum."""

    relpath: str
    url: str
    sha256: str


def _model(model_id: str, sha256: str) -> RemoteFile:
    return RemoteFile(f"models/{model_id}.xml.gz", _BIGG.format(model_id), sha256)


def _growth(name: str, path: str, commit: str, sha256: str) -> RemoteFile:
    return RemoteFile(
        f"experimental/ecoli_dh5a_growth/{name}",
        _AMN_RELEASE.format(commit=commit, path=path),
        sha256,
    )


#: Datasets that ``amn data fetch`` knows, by name.
REGISTRY: dict[str, tuple[RemoteFile, ...]] = {
    "e_coli_core": (_model("e_coli_core", "01655e1a062db398b798d4eb0a19829556aff6f2b3390195a5f53b85319e5bab"),),
    "iML1515": (_model("iML1515", "947eeb4d14164f66d203d1bd1b70b34715c79670c799f4910ab162aeb9481880"),),
    "iJO1366": (_model("iJO1366", "f3c5df42c3a53406dc50586cf58783519d530e7c782a35016e00a3753946254a"),),
    "iEC1368_DH5a": (_model("iEC1368_DH5a", "e17799990c88f00f7b25c1f9880b9b5538b40f96b782959329e642ce71eca0f5"),),
    "iMM904": (_model("iMM904", "4f320d3cb39034114faec823fde855a3579b89503d67404caf0f3d777ecd52fd"),),
    "Recon3D": (_model("Recon3D", "1149b42596ee29e5df21128024a92613c988c0be731312544d4d16bf5f94e0a2"),),
    "ecoli_dh5a_growth": (
        _growth(
            "EXP110.csv",
            "Dataset_experimental/EXP110.csv",
            "455b79eb62d6d81cbf95054fdbb2a695010f80ca",
            "3d7c024aae9b7a66a2bfbeb129254a9ff8f7043caa60c148e57d5df8dbae6ff9",
        ),
        _growth(
            "iML1515_EXP.csv",
            "Dataset_input/iML1515_EXP.csv",
            "4afae9f8f4b6df89b0fa06062c56e3565cff94ea",
            "d40b7c20dbb1e0041a047bd50a13a3873dcac6094805e487d879216e7559b12b",
        ),
    ),
}


def _repository_data_dir() -> Path:
    # src/amn/data.py -> repository root is three levels up; shared/ is its sibling
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def cache_dir() -> Path:
    """Directory where :func:`fetch` stores downloads: ``$XDG_CACHE_HOME/amn`` or ``~/.cache/amn``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "amn"


def search_dirs() -> list[Path]:
    """Data directories in the order they are searched (see the module docstring), without repeats."""
    dirs = []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]).expanduser())
    dirs += [_repository_data_dir(), Path.cwd().parent / "shared" / "data", cache_dir()]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def locate(relpath: str) -> Path:
    """Path of a data file, searched in :func:`search_dirs` order.

    Parameters
    ----------
    relpath : str
        Path relative to a data directory, e.g. ``models/iML1515.xml.gz``.

    Returns
    -------
    Path

    Raises
    ------
    DataError
        The file is in no data directory (the message says how to fetch a registered one).
    """
    for d in search_dirs():
        candidate = d / relpath
        if candidate.exists():
            return candidate
    hint = ""
    for name, files in REGISTRY.items():
        if any(f.relpath == relpath for f in files):
            hint = f"; run `amn data fetch {name}` to download it"
    raise DataError(
        f"{relpath}: not found in {', '.join(str(d) for d in search_dirs())} (set {ENV_VAR}){hint}"
    )


def model_path(name: str) -> Path:
    """Path of a BiGG model of the data directory, by id.

    Parameters
    ----------
    name : str
        E.g. ``iML1515`` (file ``models/iML1515.xml.gz``).

    Returns
    -------
    Path

    Raises
    ------
    DataError
        Not found (see :func:`locate`).
    """
    return locate(f"models/{name}.xml.gz")


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file, read in chunks.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_pinned(remote: RemoteFile) -> Path | None:
    """Where a registered file already is, with its pinned sha256, in :func:`search_dirs` order.

    Parameters
    ----------
    remote : RemoteFile

    Returns
    -------
    Path or None
        The first copy whose checksum is the pinned one; None if there is none.
    """
    for d in search_dirs():
        candidate = d / remote.relpath
        if candidate.is_file() and sha256_of(candidate) == remote.sha256:
            return candidate
    return None


def fetch(name: str, dest: str | Path | None = None, log: Callable[[str], None] | None = None) -> list[Path]:
    """Download a registered dataset into ``dest`` (default: the cache) and verify its sha256.

    Files already present with the right checksum are not downloaded again:
    in ``dest`` when it is given, otherwise in any data directory
    (:func:`search_dirs`, ``$AMN_DATA_DIR`` first).

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY` (``iML1515``, ``ecoli_dh5a_growth``, ...).
    dest : str or Path, optional
        The data directory to fill; default: :func:`cache_dir`.
    log : callable, optional
        Called with one line per file: found (and not downloaded) or downloaded.

    Returns
    -------
    list of Path
        The files of the dataset.

    Raises
    ------
    DataError
        Unknown name, failed download, or a checksum that differs (the
        download is then deleted).
    """
    if name not in REGISTRY:
        raise DataError(f"{name}: unknown dataset; known: {', '.join(REGISTRY)}")
    root = Path(dest) if dest is not None else cache_dir()
    say = log or (lambda line: None)
    paths = []
    for remote in REGISTRY[name]:
        target = root / remote.relpath
        found = (target if target.is_file() and sha256_of(target) == remote.sha256 else None) if dest is not None \
            else find_pinned(remote)
        if found is not None:
            say(f"{remote.relpath}: found at {found}; not downloading")
            paths.append(found)
            continue
        _download(remote, target)
        say(f"{remote.relpath}: downloaded to {target}")
        paths.append(target)
    return paths


def _download(remote: RemoteFile, target: Path) -> None:
    """Download ``remote`` to ``target`` through a temporary file, checking its sha256 first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        try:
            with urllib.request.urlopen(remote.url, timeout=60) as response:
                shutil.copyfileobj(response, tmp)
        except OSError as exc:
            Path(tmp.name).unlink(missing_ok=True)
            raise DataError(f"{remote.url}: download failed ({exc})") from exc
    got = sha256_of(tmp.name)
    if got != remote.sha256:
        Path(tmp.name).unlink()
        raise DataError(f"{remote.url}: sha256 {got} differs from the pinned {remote.sha256}")
    os.replace(tmp.name, target)
