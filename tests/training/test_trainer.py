"""The training loop's checkpoints: a resumed run says which epochs it ran, and how fast."""

from __future__ import annotations

import pytest
import torch

from amn.cli._options import epochs_line
from amn.errors import ParameterError
from amn.training import AMNLoss, TrainConfig, train
from amn.training.checkpoint import checkpoint_epochs


def _problem():
    X = torch.linspace(0, 1, 32).unsqueeze(1)
    loss = AMNLoss(torch.zeros(0, 1), torch.tensor([0]), torch.tensor([0]), all_fluxes=False)
    return X, 2 * X, loss


class _Stop(Exception):
    pass


def _stop_at(epoch: int):
    def on_epoch(done: int) -> None:
        if done == epoch:
            raise _Stop

    return on_epoch


def test_a_resumed_run_counts_and_times_the_epochs_it_ran(tmp_path):
    X, Y, loss = _problem()
    config = TrainConfig(epochs=5, batch_size=8, lr=0.05, patience=100)
    assert checkpoint_epochs(tmp_path / "ck") == 0
    torch.manual_seed(0)
    with pytest.raises(_Stop):
        train(torch.nn.Linear(1, 1), loss, X, Y, config, checkpoint_dir=tmp_path / "ck", on_epoch=_stop_at(1))
    assert checkpoint_epochs(tmp_path / "ck") == 2
    torch.manual_seed(0)
    result = train(torch.nn.Linear(1, 1), loss, X, Y, config, checkpoint_dir=tmp_path / "ck")
    assert len(result.history) == 5 and result.resumed_epochs == 2
    ran = [row["seconds"] for row in result.history[2:]]
    assert result.seconds_per_epoch_run == pytest.approx(sum(ran) / 3)
    fresh = train(torch.nn.Linear(1, 1), loss, X, Y, config)
    assert fresh.resumed_epochs == 0 and fresh.seconds_per_epoch_run == pytest.approx(fresh.seconds_per_epoch)


def test_resuming_with_other_settings_is_a_clean_error(tmp_path):
    X, Y, loss = _problem()
    train(torch.nn.Linear(1, 1), loss, X, Y, TrainConfig(epochs=2, batch_size=8), checkpoint_dir=tmp_path)
    with pytest.raises(ParameterError, match="checkpoint of a run with other settings"):
        train(torch.nn.Linear(1, 1), loss, X, Y, TrainConfig(epochs=3, batch_size=8), checkpoint_dir=tmp_path)


def test_epochs_line_of_amn_train():
    history = [{"seconds": s} for s in (1.0, 1.0, 0.5, 0.25)]
    assert epochs_line(history, 0) == "4 epochs, 0.6875 s/epoch"
    assert epochs_line(history, 2) == "4 epochs, of which 2 run now, 0.3750 s/epoch over those 2"
    assert epochs_line(history, 4) == "4 epochs, all from the checkpoint"
