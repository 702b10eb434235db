"""The documentation cannot rot: the API reference (docs/api) builds without a warning, documents
every public class and function, and the examples in the docstrings run."""

from __future__ import annotations

import doctest
import importlib
import inspect
import io
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import amn

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"

#: One page per subpackage: its public names (``__all__``) are documented there.
PAGES = ("network", "media", "solve", "dataset", "layers", "training", "models", "evaluation",
         "baselines", "reservoir", "design", "plate_reader", "errors")
#: Names of a subpackage's ``__all__`` documented on another page (re-exports).
ELSEWHERE = {"plate_reader": {"PlateReaderError"}}


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    """The API reference, built once with warnings as errors."""
    pytest.importorskip("sphinx", reason="the docs build needs Sphinx (pip install '.[docs]')")
    out = tmp_path_factory.mktemp("api")
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
               "-d", str(out / "doctrees"), str(API), str(out / "html")]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"sphinx-build failed (warnings are errors):\n{done.stderr[-6000:]}"
    return out / "html"


def test_api_reference_builds(html):
    for page in ("index", *PAGES):
        assert (html / f"{page}.html").is_file(), page
    for page, name in [("models", "amn.models.AMNRegressor"), ("layers", "amn.layers.InteriorPoint"),
                       ("layers", "amn.layers.ExactFBA"), ("training", "amn.training.train"),
                       ("errors", "amn.errors.ParameterError"), ("plate_reader", "amn.plate_reader.max_growth_rate")]:
        assert f'id="{name}"' in (html / f"{page}.html").read_text(encoding="utf-8"), name


@pytest.mark.parametrize("page", PAGES)
def test_every_public_class_and_function_is_documented(html, page):
    """autodoc leaves out names without a docstring: each public class or function must have one."""
    module = importlib.import_module(f"amn.{page}")
    text = (html / f"{page}.html").read_text(encoding="utf-8")
    names = getattr(module, "__all__", None) or [  # amn.errors: what it defines
        name for name, value in vars(module).items() if getattr(value, "__module__", "") == module.__name__
    ]
    public = [name for name in names if name not in ELSEWHERE.get(page, ()) and not name.startswith("_")]
    api = [name for name in public if inspect.isclass(getattr(module, name)) or inspect.isfunction(getattr(module, name))]
    missing = [name for name in api if f'id="amn.{page}.{name}"' not in text]
    assert not missing, f"amn.{page}: not in the API reference (no docstring?): {', '.join(missing)}"


def test_members_the_reference_lists_exist():
    """autodoc passes over a ``:members:`` name the module lacks without a warning: a renamed or removed
    function would silently leave the reference."""
    import re

    for page in sorted(API.glob("*.rst")):
        for module, members in re.findall(r"\.\. automodule:: (\S+)\n(?:\s+:[\w-]+:.*\n)*?\s+:members: (.+)",
                                           page.read_text(encoding="utf-8")):
            missing = [n.strip() for n in members.split(",") if not hasattr(importlib.import_module(module), n.strip())]
            assert not missing, f"{page.name}: {module} has no {', '.join(missing)}"


def _modules_with_examples() -> list[str]:
    """The modules of the package whose source has ``>>>`` examples (read, not imported)."""
    root = Path(amn.__file__).parent
    names = []
    for path in sorted(root.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(root.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("name", _modules_with_examples())
def test_docstring_examples_run(name):
    """The ``>>>`` examples of the docstrings (as ``python -m pytest --doctest-modules src/amn`` would run them)."""
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    assert tests, f"{name}: '>>>' outside a docstring that doctest finds"
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the examples are small: threads only cost (much, on a busy machine)
    try:
        for test in tests:
            runner.run(test, out=out.write)
    finally:
        torch.set_num_threads(threads)
    assert runner.failures == 0, out.getvalue()
