"""Sweeps: every grid point cross-validated on the same folds as a plain cross-validation of that point."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from amn.errors import ParameterError
from amn.evaluation.sweep import point_name, sweep
from amn.evaluation.validation import cross_validate


def data(n: int = 80, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, X @ np.array([1.0, -1.0, 0.5, 0.0]) + rng.normal(scale=0.5, size=n)


def test_each_row_is_the_cross_validation_of_its_point(tmp_path):
    X, y = data()
    table, results = sweep(Ridge(), {"alpha": [0.1, 100.0], "fit_intercept": [True, False]}, X, y, seeds=(0, 1),
                           cv=5, workdir=tmp_path)
    assert len(table) == 4 and list(table.columns[:2]) == ["alpha", "fit_intercept"]
    for row, result in zip(table.itertuples(), results):
        alone = cross_validate(Ridge(alpha=row.alpha, fit_intercept=row.fit_intercept), X, y, seeds=(0, 1), cv=5)
        np.testing.assert_array_equal(result.predictions, alone.predictions)
        assert row.q2 == pytest.approx(alone.mean())
    assert table.loc[table["alpha"] == 100.0, "q2"].max() < table.loc[table["alpha"] == 0.1, "q2"].min()
    assert len({p.name for p in tmp_path.iterdir()}) == 4  # one record folder per point: a rerun resumes


def test_bad_grids_are_refused():
    X, y = data()
    with pytest.raises(ParameterError, match="no parameter learning_rate"):
        sweep(Ridge(), {"learning_rate": [0.1]}, X, y, seeds=(0,), cv=3)
    with pytest.raises(ParameterError, match="no point"):
        sweep(Ridge(), {}, X, y, seeds=(0,), cv=3)


def test_point_names_are_stable_and_distinct():
    assert point_name({"a": 1, "b": (2, 3)}) == point_name({"b": (2, 3), "a": 1})
    assert point_name({"a": 1}) != point_name({"a": 2})
