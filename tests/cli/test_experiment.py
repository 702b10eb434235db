"""``amn experiment``: growth-rate tables, figures and media design from the command line."""

from __future__ import annotations

import json
from math import comb

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from amn.cli.experiment import experiment
from amn.errors import MediumError, ParameterError

PLATE = "20220504"


def _one_plate_dir(raw_dir, tmp_path, edit_data=None):
    """A raw directory with plate PLATE only (files linked, or the data rewritten by ``edit_data``)."""
    doc = json.loads((raw_dir / "plates.json").read_text())
    doc["plates"] = {PLATE: doc["plates"][PLATE]}
    tmp_path.mkdir()
    (tmp_path / "plates.json").write_text(json.dumps(doc))
    for name in (f"{PLATE}_start_stop.csv", doc["plates"][PLATE]["compositions_file"]):
        (tmp_path / name).symlink_to(raw_dir / name)
    data = pd.read_csv(raw_dir / f"{PLATE}_data.csv")
    (edit_data(data) if edit_data else data).to_csv(tmp_path / f"{PLATE}_data.csv", index=False)
    return tmp_path


def test_growth_rates_command_with_figures_and_auto(raw_dir, tmp_path):
    plate_dir = _one_plate_dir(raw_dir, tmp_path / "raw")
    out = tmp_path / "growth.csv"
    runner = CliRunner()
    result = runner.invoke(experiment, ["growth-rates", str(plate_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    published = pd.read_csv(raw_dir / f"{PLATE}_results.csv", index_col=0)
    written = pd.read_csv(out, index_col=0)
    np.testing.assert_allclose(written["GR_AVG"], published["GR_AVG"], rtol=0, atol=1e-9)

    figures = tmp_path / "figures"
    result = runner.invoke(
        experiment, ["growth-rates", str(plate_dir), "--out", str(out), "--auto", "--figures", str(figures)]
    )
    assert result.exit_code == 0, result.output
    png = figures / f"{PLATE}_curves.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "R^2 (auto vs curated)" in result.stdout and "rejected automatically" in result.stdout


def test_bad_wells_warned_and_rest_processed(raw_dir, tmp_path):
    def damage(data):
        data = data.drop(columns=["A2"]).astype({"B3": object})
        data.loc[5, "B3"] = "x"
        data.loc[9, "C4"] = -0.2
        return data

    plate_dir = _one_plate_dir(raw_dir, tmp_path / "raw", damage)
    out = tmp_path / "growth.csv"
    result = CliRunner().invoke(experiment, ["growth-rates", str(plate_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data_file = f"{PLATE}_data.csv"
    assert f"{data_file}: well A2: missing from the plate file" in result.stderr
    assert f"{data_file}: well B3: non-numeric OD 'x'" in result.stderr
    assert f"{data_file}: well C4: non-positive OD -0.2" in result.stderr
    written = pd.read_csv(out, index_col=0)
    published = pd.read_csv(raw_dir / f"{PLATE}_results.csv", index_col=0)
    assert np.isnan(written.loc[0, "GR_1"]) and np.isnan(written.loc[1, "GR_2"]) and np.isnan(written.loc[2, "GR_3"])
    untouched = ["GR_4", "GR_5", "GR_6", "GR_7", "GR_8"]
    np.testing.assert_allclose(written[untouched], published[untouched], rtol=0, atol=1e-9)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_design_matches_published_design_files(raw_dir, tmp_path, k):
    published = pd.read_csv(raw_dir / f"compositions_{k}comps.csv", index_col=0)
    compounds = list(published.columns)
    out = tmp_path / "design.csv"
    args = ["design", "--compounds", ",".join(compounds), "--on", str(k), "--seed", "7", "--out", str(out)]
    result = CliRunner().invoke(experiment, args)
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0] == (raw_dir / f"compositions_{k}comps.csv").read_text().splitlines()[0]
    design = pd.read_csv(out, index_col=0)
    assert len(design) == comb(len(compounds), k) and list(design.index) == list(range(1, len(design) + 1))
    assert (design.sum(axis=1) == k).all() and design.isin([0, 1]).all().all()
    # the published files list all combinations too: same set of media, in another order
    assert set(map(tuple, design.to_numpy())) == set(map(tuple, published.to_numpy()))


def test_design_reproducible_by_seed():
    def run(seed):
        result = CliRunner().invoke(experiment, ["design", "--compounds", "a,b,c,d,e,f", "--on", "3", "--seed", seed])
        assert result.exit_code == 0, result.output
        return result.stdout

    assert run("1") == run("1")
    assert run("1") != run("2")
    assert len(run("1").splitlines()) == 1 + comb(6, 3)


@pytest.mark.parametrize(
    "args, message, error",
    [
        (["--compounds", "a,b,a", "--on", "2"], "repeated compound(s) a", MediumError),
        (["--compounds", "a,b", "--on", "3"], "--on 3: must be between 1 and the number of compounds (2)", ParameterError),
        (["--compounds", "a,,b", "--on", "1"], "non-empty compound ids", MediumError),
    ],
)
def test_design_bad_input(args, message, error):
    result = CliRunner().invoke(experiment, ["design", *args, "--seed", "0"])
    assert isinstance(result.exception, error)  # the root `amn` group prints it as one line, exit 2
    assert message in str(result.exception)


def test_bad_input_is_one_line_exit_2_under_the_root_group(tmp_path):
    import click

    from amn.cli import AMNGroup

    @click.group(cls=AMNGroup)
    def root() -> None:
        """Stand-in for the `amn` root group."""

    root.add_command(experiment)
    result = CliRunner().invoke(root, ["experiment", "growth-rates", str(tmp_path), "--out", str(tmp_path / "g.csv")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"amn: error: {tmp_path / 'plates.json'}: cannot read the plate curation")
    assert len(result.stderr.splitlines()) == 1


# --- amn experiment cv: the output contract, --methods, --task, --test-data, the published column -------------

UPTAKES = ["EX_glc__D_e_i", "EX_fru_e_i", "EX_succ_e_i", "EX_ac_e_i", "EX_pyr_e_i"]


def _write_table(path, n=40, seed=0, classification=False):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame((rng.random((n, len(UPTAKES))) < 0.5).astype(int), columns=UPTAKES)
    y = X.to_numpy() @ np.array([0.3, 0.2, 0.1, -0.1, 0.05]) + rng.normal(scale=0.02, size=n)
    X["GR_AVG"] = (y > np.median(y)).astype(int) if classification else y
    X.to_csv(path, index=False)  # like the published table: rows are media 0, 1, ... (the table's index)
    return X


def _salts(path):
    """A medium file of the base compounds the textbook model needs besides the tables' carbon sources."""
    from amn.media.spec import MediumSpec

    ids = tuple(f"EX_{s}_e_i" for s in ("nh4", "pi", "h2o", "h", "o2", "co2"))
    MediumSpec(ids, np.ones(6), np.full(6, 1000.0), 0.0, source="salts").write(path)
    return path


def _cv(*args):
    return CliRunner().invoke(experiment, ["cv", *map(str, args)])


def test_cv_writes_the_results_and_predictions_contract(tmp_path):
    data = tmp_path / "table.csv"
    written = _write_table(data)
    out = tmp_path / "out"
    result = _cv("--data", data, "--methods", "RIDGE,ols (statsmodels)", "--seeds", "0,1", "--out", out)
    assert result.exit_code == 0, result.output
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == ["method", "q2", "q2_sd", "q2_of_mean", "seconds", "note"]  # no published column
    assert list(results["method"]) == ["ridge", "OLS (statsmodels)"] and results["q2"].between(0.5, 1).all()
    predictions = pd.read_csv(out / "predictions.csv", index_col=0)
    assert list(predictions.columns) == ["measured", "ridge", "OLS (statsmodels)"]
    assert list(predictions.index) == list(written.index) and predictions.index.name == "medium"
    np.testing.assert_allclose(predictions["measured"], written["GR_AVG"])
    report = (out / "report.md").read_text()
    assert "`q2 (ours)`: Q²" in report and "published" not in report


def test_an_interrupted_cv_resumes_to_the_results_of_an_uninterrupted_one(tmp_path, monkeypatch):
    from amn.evaluation import validation

    data, other = tmp_path / "table.csv", tmp_path / "other.csv"
    _write_table(data)
    _write_table(other, seed=3)
    args = ["--data", data, "--methods", "ridge,random forest", "--seeds", "0,1"]
    assert _cv(*args, "--out", tmp_path / "whole").exit_code == 0
    whole = pd.read_csv(tmp_path / "whole" / "predictions.csv", index_col=0)
    assert not (tmp_path / "whole" / "checkpoints").exists()  # the results are written: nothing left to resume

    calls, run_fold = [], validation.run_fold

    def counted(*fold, stop_after=None):
        calls.append(1)
        if stop_after is not None and len(calls) > stop_after:
            raise KeyboardInterrupt
        return run_fold(*fold)

    out = tmp_path / "out"
    monkeypatch.setattr(validation, "run_fold", lambda *fold: counted(*fold, stop_after=25))  # ridge, then 5 RF folds
    result = _cv(*args, "--out", out)
    assert result.exit_code == 130
    assert f"progress is kept in {out / 'checkpoints'}: rerun the same command to resume" in result.output
    assert not (out / "results.csv").exists()
    refused = _cv("--data", other, *args[2:], "--out", out)  # another table must not read these folds back
    assert isinstance(refused.exception, ParameterError)
    assert str(refused.exception).startswith(f"{out / 'checkpoints'}: left by a run with another table;")
    calls.clear()
    monkeypatch.setattr(validation, "run_fold", counted)
    assert _cv(*args, "--out", out).exit_code == 0
    assert len(calls) == 2 * 2 * 10 - 25  # only the folds the interrupted run had not finished
    pd.testing.assert_frame_equal(pd.read_csv(out / "predictions.csv", index_col=0), whole)
    assert not (out / "checkpoints").exists()


def test_a_cv_stopped_by_bad_input_before_any_fold_leaves_nothing_to_refuse(tmp_path, monkeypatch):
    from amn.evaluation import validation

    data = tmp_path / "table.csv"
    _write_table(data)

    def failing(*fold):
        raise ParameterError("a method cannot run on this table")

    monkeypatch.setattr(validation, "run_fold", failing)
    result = _cv("--data", data, "--methods", "ridge", "--out", tmp_path / "out")
    assert isinstance(result.exception, ParameterError)
    assert not (tmp_path / "out" / "checkpoints").exists()
    monkeypatch.undo()
    assert _cv("--data", data, "--methods", "random forest", "--seeds", "0", "--out", tmp_path / "out").exit_code == 0


def test_cv_classification_metrics_and_skipped_mechanistic_methods(tmp_path):
    data = tmp_path / "grows.csv"
    _write_table(data, n=60, classification=True)
    out = tmp_path / "out"
    result = _cv("--data", data, "--model", "textbook", "--medium", _salts(tmp_path / "salts.csv"), "--amn", 5,
                 "--methods", "logistic regression", "--seeds", "0,1", "--out", out)
    assert result.exit_code == 0, result.output
    assert "FBA baselines (--model) skipped" not in result.stderr  # grows = FBA growth above a threshold
    assert "amn: note: AMN-QP (--amn) skipped: it predicts growth rates and this is a classification" in result.stderr
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == ["method", "accuracy", "accuracy_sd", "balanced_accuracy", "balanced_accuracy_sd",
                                     "roc_auc", "roc_auc_sd", "majority_rate", "seconds", "note"]
    assert results.loc[0, "majority_rate"] == pytest.approx(0.5) and results.loc[0, "roc_auc"] > 0.7
    assert "balanced_accuracy" in result.stdout and "majority_rate" in result.stdout
    report = (out / "report.md").read_text()
    assert "balanced accuracy" in report and "majority-class rate" in report


def test_cv_task_option_and_unknown_method(tmp_path):
    data = tmp_path / "grows.csv"
    _write_table(data, n=40, classification=True)
    out = tmp_path / "out"
    result = _cv("--data", data, "--task", "regression", "--methods", "ridge", "--seeds", "0", "--out", out)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out / "results.csv").columns) == ["method", "q2", "seconds", "note"]  # one seed: no _sd
    result = _cv("--data", data, "--methods", "ridge,lasso", "--out", out)  # 0/1 target: classification methods
    assert isinstance(result.exception, ParameterError)
    message = str(result.exception)
    assert "unknown method(s) 'ridge', 'lasso'" in message and "comma): logistic regression; " in message


def test_cv_test_data_fits_all_rows_and_scores_the_other_table(tmp_path):
    from sklearn.linear_model import RidgeCV

    train, test = tmp_path / "simulated.csv", tmp_path / "measured.csv"
    fitted, scored = _write_table(train, n=40, seed=1), _write_table(test, n=25, seed=2)
    out = tmp_path / "out"
    result = _cv("--data", train, "--test-data", test, "--methods", "ridge", "--out", out)
    assert result.exit_code == 0, result.output
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == ["method", "q2", "seconds", "note"]
    expected = RidgeCV(alphas=np.logspace(-3, 3, 25)).fit(fitted[UPTAKES], fitted["GR_AVG"]).predict(scored[UPTAKES])
    from sklearn.metrics import r2_score

    assert results.loc[0, "q2"] == pytest.approx(r2_score(scored["GR_AVG"], expected))
    predictions = pd.read_csv(out / "predictions.csv", index_col=0)
    assert list(predictions.index) == list(scored.index)
    np.testing.assert_allclose(predictions["ridge"], expected)
    assert "scored on the 25 rows" in (out / "report.md").read_text()

    from amn.errors import DatasetMismatchError

    scored.drop(columns="EX_pyr_e_i").to_csv(test)
    result = _cv("--data", train, "--test-data", test, "--methods", "ridge", "--out", out)
    assert isinstance(result.exception, DatasetMismatchError) and "missing EX_pyr_e_i" in str(result.exception)


def test_cv_test_data_is_read_as_the_training_table(tmp_path):
    """The test table's knockout value and composition are the training table's, not inferred anew (here its
    rarer value is 1: inferred alone, its knockouts would be read inverted), and one class of it is enough."""
    import cobra

    rng = np.random.default_rng(3)
    reference = cobra.io.load_model("textbook")
    pgi = next(g for g in reference.genes if g.name == "pgi")

    def rows(out):
        glucose, growth, out = rng.choice([2.0, 5.0, 10.0], len(out)), [], np.asarray(out)
        for g, k in zip(glucose, out):
            with reference:
                reference.reactions.EX_glc__D_e.lower_bound = -g
                if k:
                    pgi.knock_out()
                growth.append(reference.slim_optimize())
        return pd.DataFrame({"EX_glc__D_e": glucose, "pgi": 1 - out, "GR": growth})  # pgi 0 = knocked out

    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    rows([0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]).to_csv(train, index=False)  # knocked out: pgi 0, the rarer value
    scored = rows([1, 1, 0, 1, 1, 1])  # here 1 is the rarer value
    scored.to_csv(test, index=False)
    medium = _salts(tmp_path / "salts.csv")
    out = tmp_path / "out"
    result = _cv("--data", train, "--test-data", test, "--target", "GR", "--model", "textbook", "--medium", medium,
                 "--methods", "FBA, table bounds", "--seeds", 0, "--out", out)
    assert result.exit_code == 0, result.output
    assert "test.csv: 6 rows to score, read as the training table (composition bounds, 0 = knocked out)" \
        in result.stdout
    predictions = pd.read_csv(out / "predictions.csv", index_col=0)
    np.testing.assert_allclose(predictions["FBA, table bounds"], scored["GR"], rtol=1e-6)  # COBRApy's growth

    grows = tmp_path / "grows.csv"  # a test table of one class: scored (ROC AUC undefined), not refused
    _write_table(grows, n=40, classification=True)
    all_grow = tmp_path / "all_grow.csv"
    written = _write_table(all_grow, n=30, seed=5, classification=True)
    written[written["GR_AVG"] == 1].to_csv(all_grow, index=False)
    result = _cv("--data", grows, "--test-data", all_grow, "--methods", "logistic regression", "--out", out)
    assert result.exit_code == 0, result.output
    results = pd.read_csv(out / "results.csv")
    assert results.loc[0, "majority_rate"] == 1.0 and np.isnan(results.loc[0, "roc_auc"])
    assert 0 <= results.loc[0, "accuracy"] <= 1


def test_cv_too_few_rows_and_every_ignored_column_named(tmp_path):
    data = tmp_path / "few.csv"
    _write_table(data, n=6)
    result = _cv("--data", data, "--methods", "ridge", "--out", tmp_path / "out")
    assert isinstance(result.exception, ParameterError)
    assert str(result.exception) == f"{data}: 6 rows are too few for 10-fold cross-validation (--cv 6 or fewer, or --cv loo)"
    table = _write_table(data, n=40)
    notes = {f"note{i}": [f"x{j}" for j in range(40)] for i in range(8)}  # more than a summary line shows
    table.assign(**notes).to_csv(data, index=False)
    out = tmp_path / "out"
    result = _cv("--data", data, "--methods", "ridge", "--seeds", 0, "--out", out)
    assert result.exit_code == 0, result.output
    report = (out / "report.md").read_text()
    assert all(f"{name} (not numeric)" in result.stdout and f"{name} (not numeric)" in report for name in notes)


def test_cv_says_once_that_the_rarer_class_is_rarer_than_the_folds(tmp_path):
    import warnings

    data = tmp_path / "rare.csv"
    table = _write_table(data, n=40, classification=True)
    table.assign(GR_AVG=[1, 1, 1] + [0] * 37).to_csv(data, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _cv("--data", data, "--methods", "logistic regression", "--seeds", "0,1", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("amn: note:") == 1
    assert (f"amn: note: {data}: column GR_AVG: the rarer class has 3 rows, fewer than the 10 folds: some held-out "
            "folds hold none of it") in result.stderr
    assert not [w for w in caught if "least populated class" in str(w.message)]  # scikit-learn's, per fold: not shown


def test_cv_published_column_only_for_the_published_table(tmp_path):
    import shutil

    from amn.data import locate
    from amn.errors import DataError
    from amn.evaluation.report import PUBLISHED

    try:
        source = locate("experimental/ecoli_dh5a_growth/iML1515_EXP.csv")
    except DataError:
        pytest.skip("the published table is not in a data directory")
    data = tmp_path / "copy.csv"
    shutil.copyfile(source, data)
    out = tmp_path / "out"
    result = _cv("--data", data, "--methods", "ridge", "--seeds", "0", "--out", out)
    assert result.exit_code == 0, result.output
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == ["method", "q2", "seconds", "note", "published"]
    assert results.loc[0, "published"] == PUBLISHED["ridge"]
    assert "published" in (out / "report.md").read_text()


def test_cv_joins_files_several_targets_leave_one_out(tmp_path):
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import r2_score
    from sklearn.model_selection import LeaveOneOut, cross_val_predict

    rng = np.random.default_rng(3)
    n = 16
    names = [f"c{i}" for i in range(n)]
    glucose, knocked = rng.uniform(1, 10, n), (np.arange(n) % 4 == 0).astype(int)
    fluxes = pd.DataFrame({"experiment": names, "R_GLUt2r_fwd": glucose,
                           "R_PGI_fwd": 0.8 * glucose * (1 - knocked) + rng.normal(scale=0.1, size=n),
                           "R_GND": 0.2 * glucose + 0.6 * knocked * glucose + rng.normal(scale=0.1, size=n),
                           "R_LDH_D_rev": np.zeros(n)})
    kos = pd.DataFrame({"experiment": names[::-1], "R_PGI_rev": 1 - knocked[::-1]})  # 0 = removed, another order
    fluxes.to_csv(tmp_path / "fluxes.csv", index=False)
    kos.to_csv(tmp_path / "kos.csv", index=False)
    (tmp_path / "map.csv").write_text("column,id\nR_GLUt2r_fwd,EX_glc__D_e_i\n")
    out = tmp_path / "out"
    result = _cv("--data", tmp_path / "fluxes.csv", "--data", tmp_path / "kos.csv", "--model", "textbook",
                 "--mapping", tmp_path / "map.csv", "--targets", "all-remaining", "--cv", "loo",
                 "--methods", "ridge", "--seeds", "0", "--out", out)
    assert result.exit_code == 0, result.output
    assert "uptake (1): R_GLUt2r_fwd -> EX_glc__D_e_i" in result.stdout
    assert "knockout (1): R_PGI_rev -> PGI" in result.stdout and "R_LDH_D_rev (constant" in result.stdout
    assert "amn: note: FBA baselines (--model) skipped" in result.stderr
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == ["method", "q2_variance_weighted", "q2_R_PGI_fwd", "q2_R_GND", "seconds", "note"]
    X = pd.DataFrame({"glc": glucose, "ko": knocked})
    expected = cross_val_predict(RidgeCV(alphas=np.logspace(-3, 3, 25), alpha_per_target=True), X,
                                 fluxes[["R_PGI_fwd", "R_GND"]], cv=LeaveOneOut())
    assert results.loc[0, "q2_variance_weighted"] == pytest.approx(
        r2_score(fluxes[["R_PGI_fwd", "R_GND"]], expected, multioutput="variance_weighted"))
    predictions = pd.read_csv(out / "predictions.csv", index_col=0)
    assert predictions.index.name == "experiment" and list(predictions.index) == names
    assert list(predictions.columns) == ["measured:R_PGI_fwd", "measured:R_GND", "ridge:R_PGI_fwd", "ridge:R_GND"]
    report = (out / "report.md").read_text()
    assert "leave-one-row-out" in report and "multioutput='variance_weighted'" in report


def test_cv_on_a_knockout_screen_runs_fba_with_each_row_s_knockouts(tmp_path):
    """Carbon sources x gene knockouts (file value 0 = knocked out), labelled by COBRApy's own FBA on the
    original textbook model: FBA that applies the knockouts classifies every held-out row."""
    from cobra.io import load_model

    from amn.media.spec import MediumSpec

    carbon, genes = ["glc__D_e", "fru_e", "succ_e", "pyr_e"], ["pgi", "eno", "sdhA", "ppc", "gapA"]
    salts = ["nh4_e", "pi_e", "h2o_e", "h_e", "o2_e", "co2_e"]
    reference, rows = load_model("textbook"), []
    for source in carbon:
        for knocked in [None, *genes]:
            with reference:
                for exchange in reference.exchanges:
                    exchange.lower_bound = -1000.0 if exchange.id[3:] in salts else 0.0
                reference.reactions.get_by_id(f"EX_{source}").lower_bound = -10.0
                if knocked:
                    next(g for g in reference.genes if g.name == knocked).knock_out()
                grows = reference.slim_optimize(error_value=0.0) > 1e-6
            rows.append({**{c: int(c == source) for c in carbon}, **{g: int(g != knocked) for g in genes},
                         "grows": int(grows)})
    data, medium = tmp_path / "screen.csv", tmp_path / "salts.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    MediumSpec(tuple(f"EX_{s}_i" for s in salts), np.ones(6), np.full(6, 1000.0), 0.0, source="salts").write(medium)
    out = tmp_path / "out"
    result = _cv("--data", data, "--target", "grows", "--model", "textbook", "--medium", medium, "--knockout-value", 0,
                 "--amn", 5, "--methods", "logistic regression,FBA, table bounds", "--seeds", 0, "--out", out)
    assert result.exit_code == 0, result.output
    assert "knockout (5): pgi -> b4025" in result.stdout
    assert "AMN-QP (--amn) skipped: it predicts growth rates and this is a classification table" in result.stderr
    results = pd.read_csv(out / "results.csv").set_index("method")
    majority = results.loc["FBA, table bounds", "majority_rate"]
    assert 0.5 <= majority < 0.9 and results.loc["FBA, table bounds", "accuracy"] == 1.0
    assert results.loc["logistic regression", "accuracy"] < 1.0
