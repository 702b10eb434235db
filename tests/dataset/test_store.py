"""Dataset files: what a dataset says about itself, and the network it was generated on."""

from __future__ import annotations

import pytest

from amn.dataset import check_medium, check_network, generate, load_dataset, network_of
from amn.errors import DatasetMismatchError, InputFileNotFoundError, ParameterError
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.network import make_unidirectional


@pytest.fixture(scope="module")
def small(tmp_path_factory, textbook_net):
    out = tmp_path_factory.mktemp("store") / "small.npz"
    return generate(textbook_net, RandomMedia(core_medium(textbook_net), 6), out, progress=False,
                    extra_metadata={"model_source": "textbook"})


@pytest.fixture(scope="module")
def other_net(textbook_net):
    model = textbook_net.model.copy()
    model.remove_reactions([model.reactions.get_by_id("FUM_for")])
    return make_unidirectional(model)


def test_dataset_properties(small, textbook_net):
    assert small.medium_ids == list(core_medium(textbook_net).reaction_ids) == list(small.X.columns)
    assert small.bound == "UB" and small.model_source == "textbook"


def test_network_of_a_dataset_is_checked_by_sha256(small, textbook_net, other_net):
    assert network_of(small).sha256() == textbook_net.sha256()
    assert network_of(small, textbook_net) is textbook_net
    with pytest.raises(DatasetMismatchError, match="is not the network the dataset was generated on"):
        network_of(small, other_net)
    unrecorded = type(small)(small.X, small.Y, small.growth, {k: v for k, v in small.metadata.items()
                                                              if k != "model_source"})
    with pytest.raises(DatasetMismatchError, match="does not record its model") as info:
        network_of(unrecorded)
    assert "--" not in str(info.value)  # the library names no command-line option


def test_check_network(small, textbook_net, other_net):
    check_network(small, textbook_net)
    with pytest.raises(DatasetMismatchError, match="^d.npz: generated on another network than the model in m$"):
        check_network(small, other_net, "d.npz", "the model in m")


def test_check_medium(small):
    medium = small.medium_ids
    check_medium(small, list(reversed(medium)))  # the same uptakes, in any order
    with pytest.raises(DatasetMismatchError, match=rf"^d.npz: its uptakes differ from those of the model in m: not in the "
                                                   rf"model: {medium[0]}; missing: EX_new_i$"):
        check_medium(small, [*medium[1:], "EX_new_i"], "d.npz", "the model in m")


def test_missing_dataset_file(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="absent.npz: no such file"):
        load_dataset(tmp_path / "absent.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetMismatchError, match="bad.npz: not an amn dataset"):
        load_dataset(tmp_path / "bad.npz")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"method": "moma"}, "method must be one of"),
        ({"bound": "XB"}, "bound must be UB or EB"),
        ({"backend": "glpk"}, "backend must be one of"),
        ({"backend": "cobra", "workers": 2}, "use backend='highs' to parallelise"),
        ({"chunk_size": 0}, "chunk_size must be >= 1"),
        ({"workers": 0}, "workers must be >= 1"),
    ],
)
def test_generation_parameters_outside_their_domain(tmp_path, textbook_net, options, message):
    with pytest.raises(ParameterError, match=message) as info:
        generate(textbook_net, RandomMedia(core_medium(textbook_net), 2), tmp_path / "x.npz", progress=False, **options)
    assert "--" not in str(info.value)
    assert not (tmp_path / "x.npz.partial").exists()
