"""Sphinx configuration of the API reference: autodoc on the docstrings (numpydoc style, read by napoleon).

Build: ``python -m sphinx -W -b html docs/api docs/api/build`` (``build/`` is git-ignored);
tests/test_docs.py builds it on every test run, warnings as errors.
"""

from amn._version import __version__

project = "amn (Artificial Metabolic Networks)"
author = "amn developers"
version = release = __version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
exclude_patterns = ["build"]

# numpydoc-style sections (Parameters, Returns, Raises, Examples), read by napoleon
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # "Attributes" as fields: no second description of dataclass fields
napoleon_use_rtype = False

# each page documents a subpackage's public names (its __all__), in that order
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    # methods that scikit-learn's metadata routing adds to every estimator class (their
    # docstrings point into sklearn's own documentation), and torch's extra_repr
    "exclude-members": "set_fit_request, set_predict_request, set_predict_proba_request, set_score_request, "
                       "set_transform_request, extra_repr",
}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True  # show "LossWeights()", not its repr

html_theme = "alabaster"
html_theme_options = {"description": "metabolic models inside trainable neural networks"}
html_show_sourcelink = False
