"""Folds on Dask workers: the same result as in this process, and a fold whose worker dies reruns."""

from __future__ import annotations

import os
import sys

import cloudpickle
import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from amn.dataset import generate
from amn.errors import ParameterError
from amn.evaluation import AMNFoldScorer, cross_validate
from amn.evaluation.executors import DaskExecutor, InProcess, executor_for
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.models import AMNRegressor

# the workers import this test module's classes by value: tests/ need not be importable there
cloudpickle.register_pickle_by_value(sys.modules[__name__])


class DiesOnce(Ridge):
    """Ridge whose first fit kills its worker's process (as an out-of-memory kill would), once in all."""

    def __init__(self, marker: str = "", alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)
        self.marker = marker

    def fit(self, X, y):
        if self.marker:
            try:  # made atomically: of two workers fitting at once only one dies (with both dead, the data
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))  # scattered to them is lost)
            except FileExistsError:  # a worker died already
                return super().fit(X, y)
            os._exit(1)
        return super().fit(X, y)


@pytest.fixture(scope="module")
def executor():
    """One local cluster of two worker processes for the module (starting one takes seconds)."""
    with DaskExecutor(workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def core_data(tmp_path_factory, textbook_net):
    spec = core_medium(textbook_net)
    return generate(textbook_net, RandomMedia(spec, 120), tmp_path_factory.mktemp("ex") / "core.npz", seed=0,
                    progress=False)


def test_executor_for_picks_in_process_for_one_worker():
    assert isinstance(executor_for(1), InProcess)
    assert isinstance(executor_for(2), DaskExecutor)
    assert isinstance(executor_for(1, "tcp://127.0.0.1:1"), DaskExecutor)
    with pytest.raises(ParameterError, match="workers"):
        executor_for(0)


def test_amn_cv_on_two_workers_is_identical_to_serial(core_data, textbook_net, tmp_path, executor):
    estimator = AMNRegressor(arch="amn-qp", network=textbook_net, medium=core_data.medium_ids, epochs=3,
                             batch_size=16, seed=0, verbose=False)
    common = {"cv": KFold(3, shuffle=True), "seeds": (0, 1), "scorer": AMNFoldScorer()}  # two repeats: seed folders
    serial = cross_validate(estimator, core_data.X, core_data.Y, **common)
    done = []
    parallel = cross_validate(estimator, core_data.X, core_data.Y, **common, executor=executor,
                              workdir=tmp_path / "cv", progress=lambda d, t: done.append((d, t)))
    np.testing.assert_array_equal(parallel.predictions, serial.predictions)
    np.testing.assert_array_equal(parallel.folds, serial.folds)
    timing = [c for c in serial.fold_scores if c.startswith("seconds")]
    assert parallel.fold_scores.drop(columns=timing).equals(serial.fold_scores.drop(columns=timing))
    assert done[-1] == (6, 6) and len(done) == 6
    assert len(list((tmp_path / "cv").rglob("fold_*.json"))) == 6  # each fold recorded: a rerun resumes


def test_a_fold_whose_worker_dies_is_rerun(tmp_path, executor):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.1, size=60)
    reference = cross_validate(Ridge(), X, y, cv=KFold(3, shuffle=True), seeds=(0,))
    result = cross_validate(DiesOnce(marker=str(tmp_path / "died")), X, y, cv=KFold(3, shuffle=True),
                            seeds=(0,), executor=executor)
    assert (tmp_path / "died").exists()  # a worker did die
    np.testing.assert_allclose(result.predictions, reference.predictions, rtol=1e-12)


def test_a_sweep_on_two_workers_gives_the_serial_table(executor):
    from amn.evaluation.sweep import sweep

    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    y = X @ np.array([0.5, 1.0, -1.0]) + rng.normal(scale=0.3, size=50)
    grid = {"alpha": [0.01, 1.0, 30.0]}
    serial, _ = sweep(Ridge(), grid, X, y, seeds=(0, 1), cv=5)
    parallel, _ = sweep(Ridge(), grid, X, y, seeds=(0, 1), cv=5, executor=executor)
    assert parallel.drop(columns="seconds").equals(serial.drop(columns="seconds"))


def test_a_fold_clone_shares_the_network_and_copies_the_rest(textbook_net):
    from amn.evaluation.folds import fresh

    estimator = AMNRegressor(arch="amn-qp", network=textbook_net, hidden=[7], epochs=1)
    copy = fresh(estimator, seed=0)
    assert copy is not estimator and copy.network is textbook_net  # a COBRApy deep copy re-parses every gene rule
    assert copy.hidden == [7] and copy.hidden is not estimator.hidden
    assert copy.get_params().keys() == estimator.get_params().keys()


def test_arguments_every_job_shares_go_to_the_workers_once(executor):
    shared = np.arange(5.0)
    jobs = [(shared, k) for k in range(4)]
    sent = executor._scatter_shared(jobs)
    assert all(job[0] is sent[0][0] and job[1] == k for k, job in enumerate(sent))
    assert type(sent[0][0]).__name__ == "Future"
    assert sorted(executor.map(lambda a, k: float(a.sum()) + k, jobs)) == [(k, 10.0 + k) for k in range(4)]
