"""Where a model runs: device names resolved, or refused in one line."""

from __future__ import annotations

import pytest
import torch

from amn.errors import ParameterError
from amn.models.runtime import resolve_device


def test_auto_takes_the_gpu_only_when_there_is_one():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name,reason", [("bogus", "not a torch device"), ("cuda:99", "CUDA GPU")])
def test_a_device_this_machine_lacks_is_a_one_line_error(name, reason):
    with pytest.raises(ParameterError, match=reason) as info:
        resolve_device(name)
    assert f"device {name!r}" in str(info.value) and "\n" not in str(info.value)
