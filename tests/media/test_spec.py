"""Medium specification files: the shared ones parse, malformed ones fail with the file named."""

from __future__ import annotations

import pytest

from amn.data import locate
from amn.errors import DataError, InputFileNotFoundError, MediumError, ParameterError, UnknownReactionError
from amn.media import read_medium


def _shared(relpath):
    try:
        return locate(relpath)
    except DataError:
        pytest.skip(f"{relpath} not in the data directory")


def test_shared_e_coli_core_medium(textbook_net):
    spec = read_medium(_shared("media/e_coli_core.csv"))
    assert len(spec.minimal) == 7 and len(spec.variable) == 13 and spec.ratio_drawing == 0.5
    spec.check(textbook_net)


def test_unknown_reaction_names_the_file(tmp_path, textbook_net):
    path = tmp_path / "m.csv"
    path.write_text("name,EX_glc__D_e_i,EX_foo_e_i\nlevel,1,5\nmax_value,10,10\nratio_drawing,0.5,\n")
    with pytest.raises(UnknownReactionError, match=r"m\.csv.*EX_foo_e_i"):
        read_medium(path).check(textbook_net)


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,EX_glc__D_e_i\nlevel,abc\nmax_value,10\nratio_drawing,0.5\n", "non-numeric"),
        ("name,EX_glc__D_e_i\nlevel,1\nmax_value,10\nratio_drawing,1.5\n", "outside"),
        ("name,EX_glc__D_e_i\nlevel,1\nmax_value,-1\nratio_drawing,0.5\n", ">= 0"),
        ("name,EX_glc__D_e_i\nlevel,1\nratio_drawing,0.5\n", "missing row 'max_value'"),
        ("", "not a medium CSV"),
        ("name,EX_glc__D_e_i,EX_ac_e_i\nlevel,1,2.5\nmax_value,10,10\nratio_drawing,0.5,\n",
         r"level of EX_ac_e_i must be a whole number \(got 2.5\)"),  # drawn as level 2 before
        ("name,EX_glc__D_e_i\nlevel,1\nmax_value,10\nmin_value,1\nratio_drawing,0.5\n",
         "row 'min_value' is none of level, max_value, ratio_drawing, comment"),  # ignored before
        ("name,EX_glc__D_e_i\nlevel,1\nlevel,2\nmax_value,10\nratio_drawing,0.5\n", "row 'level' appears twice"),
        ("name,EX_glc__D_e_i,EX_ac_e_i\nlevel,1,2\nmax_value,10,10\nratio_drawing,0.5,0.9\n",
         "ratio_drawing holds one value, in its first column"),
    ],
)
def test_malformed_medium_files(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(MediumError, match=message):
        read_medium(path)


def test_missing_medium_file(tmp_path):
    with pytest.raises(InputFileNotFoundError, match="absent.csv: no such file") as info:
        read_medium(tmp_path / "absent.csv")
    assert isinstance(info.value, FileNotFoundError)


def test_media_sizes_outside_their_domain_are_parameter_errors(textbook_net):
    import pandas as pd

    from amn.media import GuidedMedia, RandomMedia
    from amn.media.spec import core_medium

    spec = core_medium(textbook_net)
    with pytest.raises(ParameterError, match="number of samples must be >= 1"):
        RandomMedia(spec, 0)
    with pytest.raises(ParameterError, match="t.csv: per_medium must be >= 1") as info:
        GuidedMedia(spec, pd.DataFrame({"EX_fru_e_i": [1, 0]}), per_medium=0, source="t.csv")
    assert "--" not in str(info.value)  # the library names the parameter, not a command-line option


def test_core_medium_built_in_code_equals_the_published_file(textbook_net):
    from amn.media.spec import core_medium

    built, published = core_medium(textbook_net), read_medium(_shared("media/e_coli_core.csv"))
    as_dict = lambda s: {r: (lv, mx) for r, lv, mx in zip(s.reaction_ids, s.level, s.max_value)}
    assert as_dict(built) == as_dict(published) and built.ratio_drawing == published.ratio_drawing


def test_widened_medium_draws_the_named_uptakes_and_round_trips(tmp_path, textbook_net):
    from amn.media.spec import core_medium

    spec = core_medium(textbook_net)
    widened = spec.widened(["EX_o2_e_i", "EX_fru_e_i"], 10.0)
    assert "EX_o2_e_i" in widened.variable and "EX_o2_e_i" in spec.minimal
    changed = [r for r, a, b in zip(spec.reaction_ids, spec.max_value, widened.max_value) if a != b]
    assert set(changed) <= {"EX_o2_e_i", "EX_fru_e_i"} and widened.max_value[spec.reaction_ids.index("EX_o2_e_i")] == 10.0
    widened.write(tmp_path / "w.csv")
    again = read_medium(tmp_path / "w.csv")
    assert again.reaction_ids == widened.reaction_ids and again.ratio_drawing == widened.ratio_drawing
    assert (again.level == widened.level).all() and (again.max_value == widened.max_value).all()
    with pytest.raises(UnknownReactionError, match="EX_foo_e_i"):
        spec.widened(["EX_foo_e_i"], 10.0)
