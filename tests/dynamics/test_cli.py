"""``amn dynamic fit|predict|cv`` on a textbook-sized problem, and their one-line input errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from amn.cli.dynamic import dynamic
from amn.errors import MediumError, ParameterError, PlateReaderError, UnknownReactionError


def _files(tmp_path, compound="succ_e"):
    rng = np.random.default_rng(0)
    n = 8
    media = pd.DataFrame({"ID": range(1, n + 1), "glc__D_e": rng.uniform(1, 4, n), compound: rng.uniform(0, 3, n)})
    media.to_csv(tmp_path / "media.csv", index=False)
    t = np.linspace(0, 8, 9)
    curves = {}
    for i in range(1, n + 1):
        curves[f"T_{i}"] = t
        curves[f"OD_{i}"] = -3 + 2.5 / (1 + np.exp(-(t - 4))) * (i / n)
        curves[f"DEV_{i}"] = 0.02
    pd.DataFrame(curves).to_csv(tmp_path / "curves.csv", index=False)
    return tmp_path / "media.csv", tmp_path / "curves.csv"


FAST = ["--model", "textbook", "--layer", "exact", "--epochs", "2", "--substeps", "1", "--quiet"]


def test_fit_then_predict(tmp_path):
    media, curves = _files(tmp_path)
    runner = CliRunner()
    result = runner.invoke(dynamic, ["fit", "--media", str(media), "--curves", str(curves), "--out",
                                     str(tmp_path / "m"), "--ensemble", "2", *FAST])
    assert result.exit_code == 0, result.output
    assert "reactions kept" in result.output and "s/epoch" in result.output
    saved = json.loads((tmp_path / "m" / "model.json").read_text())
    assert saved["params"]["ensemble"] == 2 and saved["members"] == 2
    result = runner.invoke(dynamic, ["predict", str(tmp_path / "m"), "--media", str(media), "--times", "0,1,2,4",
                                     "--out", str(tmp_path / "p.csv"), "--figures", str(tmp_path / "fig"),
                                     "--kinetics", str(tmp_path / "k.csv")])
    assert result.exit_code == 0, result.output
    kinetics = pd.read_csv(tmp_path / "k.csv", index_col="medium")
    assert list(kinetics.index) == list(range(1, 9))
    assert {"lag_h_glc__D_e", "vmax_succ_e", "death_rate_per_h", "death_delay_h"} <= set(kinetics.columns)
    assert (kinetics["vmax_glc__D_e"] > 0).all() and (kinetics["death_rate_per_h"] >= 0).all()
    table = pd.read_csv(tmp_path / "p.csv")
    assert list(table.columns[:3]) == ["medium", "time", "log_od"]
    assert len(table) == 8 * 4
    assert (table["glc__D_e"] >= 0).all()
    assert (tmp_path / "fig" / "depletion.png").exists() and (tmp_path / "fig" / "depletion.svg").exists()
    # the media named another way (exchange id, unit hint): read as the trained compounds, the same predictions
    pd.read_csv(media).rename(columns={"glc__D_e": "EX_glc__D_e", "succ_e": "succ_e (mM)"}).to_csv(
        tmp_path / "named.csv", index=False)
    result = runner.invoke(dynamic, ["predict", str(tmp_path / "m"), "--media", str(tmp_path / "named.csv"), "--times",
                                     "0,1,2,4", "--out", str(tmp_path / "named_p.csv")])
    assert result.exit_code == 0, result.output
    assert "column(s) read as the model's compounds: EX_glc__D_e -> glc__D_e, succ_e (mM) -> succ_e" in result.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "named_p.csv"), table)
    # `amn predict` on it: one line naming what reads it, before the network is read (here: removed)
    from amn.cli import main

    (tmp_path / "m" / "network.xml").unlink()
    result = runner.invoke(main, ["predict", str(tmp_path / "m"), "--media", str(media), "--out", str(tmp_path / "q.csv")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "m/model.json: saved by DynamicAMN, not by AMNRegressor; load it with DynamicAMN.load or `amn dynamic " \
           "predict`" in result.output


def test_fit_keeps_a_checkpoint_and_refuses_one_of_another_run(tmp_path):
    from amn.errors import ParameterError

    media, curves = _files(tmp_path)
    args = ["fit", "--media", str(media), "--curves", str(curves), "--out", str(tmp_path / "m"), *FAST]
    runner = CliRunner()
    assert runner.invoke(dynamic, args).exit_code == 0
    assert (tmp_path / "m" / "checkpoints" / "checkpoint.json").exists()
    again = runner.invoke(dynamic, args)  # the finished run, read back
    assert again.exit_code == 0 and "all from the checkpoint" in again.output
    result = runner.invoke(dynamic, [*args, "--lr", "0.01"])
    assert isinstance(result.exception, ParameterError)
    assert "checkpoints: checkpoint of a run with other settings" in str(result.exception)


def test_cv_writes_scores_and_figures(tmp_path):
    media, curves = _files(tmp_path)
    result = CliRunner().invoke(dynamic, ["cv", "--media", str(media), "--curves", str(curves), "--folds", "2",
                                          "--report", str(tmp_path / "r"), *FAST])
    assert result.exit_code == 0, result.output
    assert "held-out media: mean curve R2" in result.output
    assert len(pd.read_csv(tmp_path / "r" / "scores.csv")) == 8
    for name in ("heldout", "forecast"):
        assert (tmp_path / "r" / f"{name}.png").exists() and (tmp_path / "r" / f"{name}.svg").exists()


def test_cv_on_flasks_read_at_different_times(tmp_path):
    """One reading a row, each medium sampled at its own times: cross-validated, scored and drawn at its readings."""
    media, curves = _files(tmp_path)
    wide = pd.read_csv(curves)
    rows = [{"ID": i, "time": t, "log_od": y} for i in range(1, 9)
            for k, (t, y) in enumerate(zip(wide[f"T_{i}"], wide[f"OD_{i}"])) if k == 0 or (k + i) % 3]
    pd.DataFrame(rows).to_csv(tmp_path / "flasks.csv", index=False)
    result = CliRunner().invoke(dynamic, ["cv", "--media", str(media), "--curves", str(tmp_path / "flasks.csv"),
                                          "--folds", "2", "--report", str(tmp_path / "r"), *FAST])
    assert result.exit_code == 0, result.output
    assert "curves read at different times (6-7 readings each): on the 9 times of all of them" in result.output
    scores = pd.read_csv(tmp_path / "r" / "scores.csv")
    assert len(scores) == 8 and scores.select_dtypes("number").notna().all().all()
    assert (tmp_path / "r" / "heldout.png").exists()


def test_an_interrupted_cv_resumes_to_the_scores_of_an_uninterrupted_run(tmp_path, monkeypatch):
    from amn.dynamics import evaluation

    media, curves = _files(tmp_path)
    args = ["cv", "--media", str(media), "--curves", str(curves), "--folds", "2", "--seeds", "0,1", *FAST]
    runner = CliRunner()
    assert runner.invoke(dynamic, [*args, "--report", str(tmp_path / "whole")]).exit_code == 0
    assert not (tmp_path / "whole" / "checkpoints").exists()  # removed once the scores are written

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(evaluation, "forecast", interrupted)  # after both held-out runs
        result = runner.invoke(dynamic, [*args, "--report", str(tmp_path / "r")])
    assert result.exit_code == 130
    assert f"progress is kept in {tmp_path / 'r' / 'checkpoints'}: rerun the same command to resume" in result.output
    for run in ("heldout-seed0", "heldout-seed1"):
        assert (tmp_path / "r" / "checkpoints" / run / "checkpoint.json").exists()
    result = runner.invoke(dynamic, [*args, "--report", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "r" / "scores.csv"),
                                  pd.read_csv(tmp_path / "whole" / "scores.csv"))
    assert not (tmp_path / "r" / "checkpoints").exists()


def test_unknown_compound_is_a_one_line_error(tmp_path):
    media, curves = _files(tmp_path, compound="foo_e")
    result = CliRunner().invoke(dynamic, ["fit", "--media", str(media), "--curves", str(curves), "--out",
                                          str(tmp_path / "m"), *FAST])
    assert isinstance(result.exception, UnknownReactionError)
    assert "media.csv: column foo_e" in str(result.exception) and "\n" not in str(result.exception)
    assert not (tmp_path / "m").exists()



def test_another_organisms_base_is_read_off_its_model(tmp_path):
    media, curves = _files(tmp_path)
    data = ["--media", str(media), "--curves", str(curves)]
    result = CliRunner().invoke(dynamic, ["fit", *data, "--out", str(tmp_path / "m"), *FAST, "--base", "model"])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "m" / "model.json").read_text())
    assert saved["params"]["base"] == "model"
    assert saved["medium"] == ["EX_h_e_i", "EX_h2o_e_i", "EX_nh4_e_i", "EX_o2_e_i", "EX_pi_e_i", "EX_glc__D_e_i",
                               "EX_succ_e_i"]
    predicted = CliRunner().invoke(dynamic, ["predict", str(tmp_path / "m"), *data, "--out", str(tmp_path / "p.csv")])
    assert predicted.exit_code == 0, predicted.output
    # the default (E. coli's M9 salts) names the salts this model lacks in a note
    result = CliRunner().invoke(dynamic, ["fit", *data, "--out", str(tmp_path / "m9"), *FAST])
    assert result.exit_code == 0 and "amn: note: model e_coli_core has no uptake for 17 of the 23 M9" \
        in result.output
    result = CliRunner().invoke(dynamic, ["fit", *data, "--out", str(tmp_path / "x"), *FAST, "--base", "EX_o2_e_i"])
    assert isinstance(result.exception, MediumError) and "grows in none of" in str(result.exception)
    assert not (tmp_path / "x").exists()


def test_a_bad_device_is_a_one_line_error(tmp_path):
    media, curves = _files(tmp_path)
    result = CliRunner().invoke(dynamic, ["fit", "--media", str(media), "--curves", str(curves), "--out",
                                          str(tmp_path / "m"), *FAST, "--device", "bogus"])
    assert isinstance(result.exception, ParameterError)
    assert "device 'bogus': not a torch device" in str(result.exception) and "\n" not in str(result.exception)
    assert not (tmp_path / "m").exists()

def test_curve_without_medium_is_an_error(tmp_path):
    media, curves = _files(tmp_path)
    pd.read_csv(media).iloc[:-1].to_csv(media, index=False)
    result = CliRunner().invoke(dynamic, ["fit", "--media", str(media), "--curves", str(curves), "--out",
                                          str(tmp_path / "m"), *FAST])
    assert isinstance(result.exception, PlateReaderError)
    assert "curves.csv: column OD_8: no medium 8" in str(result.exception)


@pytest.mark.parametrize("args", [["--plates", "nowhere"], []])
def test_missing_inputs(tmp_path, args):
    result = CliRunner().invoke(dynamic, ["fit", "--out", str(tmp_path / "m"), *args, *FAST])
    assert result.exit_code != 0


def test_options_that_cannot_apply_are_one_line_errors_before_any_training(tmp_path):
    media, curves = _files(tmp_path)
    data = ["--media", str(media), "--curves", str(curves)]
    cases = [
        (["fit", *data, "--out", str(tmp_path / "m"), *FAST, "--add", "glc__D_e=1"],
         f"--add 'glc__D_e=1': glc__D_e is already a column of {media}"),
        (["fit", *data, "--out", str(tmp_path / "m"), *FAST, "--add", "glyc_e"], "--add 'glyc_e': expected MET=MM, e.g. glyc_e=1"),
        (["fit", *data, "--out", str(tmp_path / "m"), *FAST, "--hidden", "0"], ("--hidden '0': comma-separated layer "
                                                                              "sizes >= 1, e.g. 64,64")),
        (["cv", *data, *FAST, "--folds", "2", "--seeds", ","], "--seeds ',': not comma-separated integers"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(dynamic, args)
        assert isinstance(result.exception, ParameterError), (args, result.output)
        assert str(result.exception) == message
    result = CliRunner().invoke(dynamic, ["fit", *data, "--out", str(tmp_path / "m"), *FAST, "--base", "EX_o2_e_i,"])
    assert result.exit_code == 2  # a usage error, as for --variable of amn medium (the same option type)
    assert "Invalid value for '--base': 'EX_o2_e_i,' holds an empty id" in result.output
    assert not (tmp_path / "m").exists()


def test_named_choices_of_the_cli_are_the_library_s():
    from amn.cli.dynamic import fit
    from amn.cli.medium import medium
    from amn.dynamics.network import BASES
    from amn.media.from_model import NUTRIENTS

    base = next(p for p in fit.params if p.name == "base")
    variable = next(p for p in medium.params if p.name == "variable")
    assert base.type.names == BASES and set(variable.type.names) == set(NUTRIENTS)
    assert base.type.convert("EX_a_i, EX_b_i", base, None) == ["EX_a_i", "EX_b_i"]


def test_predict_refuses_what_the_saved_model_cannot_read(tmp_path):
    media, curves = _files(tmp_path)
    marks = pd.read_csv(media).assign(glc__D_e=1.0, succ_e=[0.0, 1.0] * 4)  # 0/1 marks: the amounts are learned
    marks.to_csv(tmp_path / "marks.csv", index=False)
    runner = CliRunner()
    result = runner.invoke(dynamic, ["fit", "--media", str(tmp_path / "marks.csv"), "--curves", str(curves), "--out",
                                     str(tmp_path / "m"), *FAST])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m" / "model.json").read_text())["learn_amounts"] is True
    out = ["--out", str(tmp_path / "p.csv")]
    result = runner.invoke(dynamic, ["predict", str(tmp_path / "m"), "--media", str(media), "--times", "0,1", *out])
    assert isinstance(result.exception, ParameterError)
    assert str(result.exception).startswith(f"{media}: column glc__D_e: ") and "is not a 0/1 mark" in str(result.exception)
    for extra in (["--times", "0,1"], ["--od0", "-1"]):
        result = runner.invoke(dynamic, ["predict", str(tmp_path / "m"), "--media", str(tmp_path / "marks.csv"),
                                         "--curves", str(curves), *extra, *out])
        assert isinstance(result.exception, ParameterError) and "--times and --od0 are for media without curves" \
            in str(result.exception)
    result = runner.invoke(dynamic, ["predict", str(tmp_path / "m"), "--media", str(tmp_path / "marks.csv"),
                                     "--times", "-5,0,5", *out])
    assert isinstance(result.exception, ParameterError) and "increasing times >= 0 h" in str(result.exception)
    assert not (tmp_path / "p.csv").exists()


def test_media_without_a_curve_are_named_in_a_note(tmp_path):
    media, curves = _files(tmp_path)
    table = pd.read_csv(curves)
    table.drop(columns=[c for c in table.columns if c.endswith("_8")]).to_csv(curves, index=False)
    result = CliRunner().invoke(dynamic, ["fit", "--media", str(media), "--curves", str(curves), "--out",
                                          str(tmp_path / "m"), *FAST])
    assert result.exit_code == 0, result.output
    assert f"amn: note: {media}: 1 medium(s) without a curve in {curves} left out: 8" in result.stderr


def test_a_mapping_file_names_the_compounds(tmp_path):
    media, curves = _files(tmp_path)
    named = tmp_path / "named.csv"
    pd.read_csv(media).rename(columns={"glc__D_e": "glucose", "succ_e": "Succinate"}).to_csv(named, index=False)
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("column,id\nglucose,glc__D_e\nSuccinate,succ_e\nlactose,lcts_e\n")  # lactose: not in this table
    runner = CliRunner()
    for table, extra, out in ((media, [], "ids"), (named, ["--mapping", str(mapping)], "mapped")):
        result = runner.invoke(dynamic, ["fit", "--media", str(table), "--curves", str(curves), *extra, "--out",
                                         str(tmp_path / out), *FAST])
        assert result.exit_code == 0, result.output
    assert "named.csv: column(s) read as the model's ids: glucose -> glc__D_e, Succinate -> succ_e" in result.output
    predictions = {}
    for out, table, extra in (("ids", media, []), ("mapped", media, []), ("mapped", named, ["--mapping", str(mapping)])):
        result = runner.invoke(dynamic, ["predict", str(tmp_path / out), "--media", str(table), *extra, "--times",
                                         "0,2,4", "--out", str(tmp_path / "p.csv")])
        assert result.exit_code == 0, result.output
        predictions[out, table.name] = pd.read_csv(tmp_path / "p.csv")
    reference = predictions["ids", "media.csv"]  # the same model as trained on the ids, seed for seed
    pd.testing.assert_frame_equal(predictions["mapped", "media.csv"], reference)
    pd.testing.assert_frame_equal(predictions["mapped", "named.csv"], reference)
    # a mapping that names no column, or maps onto a column the table has: one line naming the file
    mapping.write_text("column,id\nlactose,lcts_e\n")
    result = runner.invoke(dynamic, ["fit", "--media", str(named), "--curves", str(curves), "--mapping", str(mapping),
                                     "--out", str(tmp_path / "x"), *FAST])
    assert "mapping.csv: names no column of" in str(result.exception) and "\n" not in str(result.exception)
    mapping.write_text("column,id\nglucose,Succinate\n")
    result = runner.invoke(dynamic, ["fit", "--media", str(named), "--curves", str(curves), "--mapping", str(mapping),
                                     "--out", str(tmp_path / "x"), *FAST])
    assert isinstance(result.exception, ParameterError)
    assert "mapping.csv: maps column glucose to Succinate, already a column of" in str(result.exception)
    assert not (tmp_path / "x").exists()
