"""The bad-input corpus: every case runs the ``amn`` command line as a user would.

Most cases run the command in this process through click's runner (the same
``main`` that ``python -m amn`` calls; an exception that escapes it fails the
case as a traceback would); a few run ``python -m amn`` in a subprocess, to
keep the real exit status and standard error under test.  Each case must exit with status 2, print no traceback and at most two lines on
standard error, name the file or option at fault, and leave no output that
looks complete (no dataset file, no model directory with ``model.json``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from amn.cli import main
from amn.dataset import generate
from amn.media import RandomMedia
from amn.media.spec import core_medium
from amn.models import AMNRegressor, save_model
from amn.network import make_unidirectional

AMN = [sys.executable, "-m", "amn"]


def amn_process(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m amn ARGS`` in a subprocess."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*AMN, *map(str, args)], check=False, capture_output=True, text=True, env=env, timeout=timeout)


def amn(*args) -> subprocess.CompletedProcess:
    """``amn ARGS`` in this process; an exception other than the exit is reported as its traceback."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, stderr)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A dataset and a trained model on the bundled core model, and a few media tables."""
    root = tmp_path_factory.mktemp("bad_input")
    net = make_unidirectional("textbook")
    spec = core_medium(net)
    spec.write(root / "medium.csv")
    data = generate(net, RandomMedia(spec, 40), root / "core.npz", seed=0, progress=False,
                    extra_metadata={"model_source": "textbook"})  # as `amn generate --model textbook` records it
    model = AMNRegressor(arch="amn-qp", network=net, medium=list(data.X.columns), epochs=2, seed=0)
    model.fit(data.X, data.Y)
    save_model(model, root / "model")
    data.X.head(3).to_csv(root / "media.csv", index=False)
    # a dataset on another network: the core model without one reaction
    other = net.model.copy()
    other.remove_reactions([other.reactions.get_by_id("FUM_for")])
    other_net = make_unidirectional(other)
    generate(other_net, RandomMedia(core_medium(other_net), 20), root / "other.npz", seed=0, progress=False)
    return root


def _copy_model(work: Path, dest: Path) -> Path:
    dest.mkdir()
    for f in (work / "model").iterdir():
        (dest / f.name).write_bytes(f.read_bytes())
    return dest


def assert_clean_error(result: subprocess.CompletedProcess, *names: str) -> None:
    err = result.stderr.strip()
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], err[-2000:])
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, err[-2000:]
    lines = err.splitlines()
    assert 1 <= len(lines) <= 2, err
    for name in names:
        assert name in err, (name, err)


# ------------------------------------------------------------------------------------------------
# corrupt files


def test_truncated_dataset(work, tmp_path):
    bad = tmp_path / "trunc.npz"
    bad.write_bytes((work / "core.npz").read_bytes()[:2000])
    assert_clean_error(amn_process("dataset", bad), "trunc.npz")
    assert_clean_error(amn_process("train", "--dataset", bad, "--out", tmp_path / "m", "--folds", 1, "--epochs", 1), "trunc.npz")
    assert not (tmp_path / "m").exists()


def test_a_model_or_table_given_as_the_dataset(work, tmp_path):
    for name, text in (("model.xml", "<?xml version='1.0'?><sbml/>"), ("table.csv", "a,b\n1,2\n")):
        (tmp_path / name).write_text(text)
        result = amn("train", "--dataset", tmp_path / name, "--out", tmp_path / "m")
        assert_clean_error(result, f"{name}: not an amn dataset (not an .npz archive")
        assert "pickle" not in result.stderr
    assert not (tmp_path / "m").exists()


def test_bit_flipped_dataset(work, tmp_path):
    bad = tmp_path / "flip.npz"
    raw = bytearray((work / "core.npz").read_bytes())
    with zipfile.ZipFile(work / "core.npz") as z:
        info = z.getinfo("Y.npy")
    raw[info.header_offset + 200] ^= 0xFF  # inside Y.npy's stored bytes
    bad.write_bytes(bytes(raw))
    assert_clean_error(amn("dataset", bad), "flip.npz")


@pytest.mark.parametrize("damage", ["truncated", "random", "index_flipped", "huge_values"])
def test_corrupt_weights(work, tmp_path, damage):
    model = _copy_model(work, tmp_path / "model")
    weights = model / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    if damage == "truncated":
        raw = raw[: len(raw) // 2]
    elif damage == "random":
        raw = bytearray(np.random.default_rng(0).integers(0, 256, len(raw), dtype=np.uint8).tobytes())
    elif damage == "index_flipped":
        raw[-8] ^= 0x7F
    else:  # every float of the last tensor set to 1.7e38
        header = int.from_bytes(raw[:8], "little")
        meta = json.loads(raw[8 : 8 + header])
        name = max((k for k in meta if k != "__metadata__"), key=lambda k: meta[k]["data_offsets"][0])
        start, end = meta[name]["data_offsets"]
        if meta[name]["dtype"] == "F32":
            raw[8 + header + start : 8 + header + end] = np.full((end - start) // 4, 1.7e38, dtype=np.float32).tobytes()
    weights.write_bytes(bytes(raw))
    run = amn_process if damage == "truncated" else amn
    result = run("predict", model, "--media", work / "media.csv", "--out", tmp_path / "p.csv")
    assert_clean_error(result, "model.safetensors")
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("edit", ["hidden", "arch"])
def test_model_json_that_does_not_match_its_weights(work, tmp_path, edit):
    model = _copy_model(work, tmp_path / "model")
    description = json.loads((model / "model.json").read_text())
    if edit == "hidden":
        description["params"]["hidden"] = [7]
    else:
        description["arch"] = description["params"]["arch"] = "amn-foo"
    (model / "model.json").write_text(json.dumps(description))
    assert_clean_error(amn("evaluate", model, "--dataset", work / "core.npz"), "model.json")


# ------------------------------------------------------------------------------------------------
# options outside their domain


@pytest.mark.parametrize("option,value", [("--batch-size", 0), ("--lr", -1), ("--epochs", 0), ("--folds", 0),
                                          ("--folds", 5000), ("--patience", -1), ("--measured", "PGI_for,")])
def test_train_options(work, tmp_path, option, value):
    out = tmp_path / "m"
    run = amn_process if option == "--lr" else amn
    result = run("train", "--dataset", work / "core.npz", "--out", out, "--epochs", 1, option, value)
    assert_clean_error(result, option)
    assert not out.exists()


@pytest.mark.parametrize("command", [("train", "--dataset", "{work}/core.npz"),
                                     ("dynamic", "fit", "--media", "{work}/media.csv", "--curves", "{work}/media.csv")])
def test_a_device_this_machine_lacks_stops_the_command_as_it_is_parsed(work, tmp_path, command):
    out = tmp_path / "m"
    args = [a.format(work=work) for a in command]
    result = amn(*args, "--out", out, "--device", "cuda:99" if torch.cuda.is_available() else "cuda")
    assert_clean_error(result, "--device 'cuda")
    assert not out.exists()


def test_train_test_set_of_another_network(work, tmp_path):
    out = tmp_path / "m"
    result = amn("train", "--dataset", work / "core.npz", "--test", work / "other.npz", "--out", out, "--epochs", 1,
                 "--folds", 2)
    assert_clean_error(result, "other.npz")
    assert not out.exists()


@pytest.mark.parametrize("option,value", [("--workers", 0), ("--workers", -2), ("--wild-type", 1.5),
                                          ("--wild-type", -0.1), ("--wild-type", "nan"), ("--outputs", "PGI_for,,PYK")])
def test_generate_options(work, tmp_path, option, value):
    out = tmp_path / "g.npz"
    result = amn("generate", "--medium", work / "medium.csv", "--size", 5, "--knockouts", "all", option, value,
                 "--out", out)
    assert_clean_error(result, option)
    assert not out.exists()


def test_generate_out_under_a_regular_file(work, tmp_path):
    blocker = tmp_path / "FILE"
    blocker.write_text("")
    result = amn("generate", "--medium", work / "medium.csv", "--size", 5, "--out", blocker / "x.npz")
    assert_clean_error(result, "FILE")


def test_generate_all_closed_medium(work, tmp_path):
    closed = tmp_path / "closed.csv"
    spec = pd.read_csv(work / "medium.csv", index_col=0)
    spec.loc["max_value"] = 0.0
    spec.to_csv(closed)
    out = tmp_path / "closed.npz"
    assert_clean_error(amn("generate", "--medium", closed, "--size", 5, "--out", out, "--quiet"), "closed.csv")
    assert not out.exists()


def test_generate_is_refused_while_another_run_writes_the_same_file(work, tmp_path):
    out = tmp_path / "busy.npz"
    args = [*AMN, "generate", "--medium", str(work / "medium.csv"), "--size", "400", "--chunk-size", "20",
            "--backend", "cobra", "--quiet", "--out", str(out)]
    first = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # wait until the first run holds the output
            if (tmp_path / "busy.npz.partial").exists():
                break
            if first.poll() is not None:
                pytest.fail(f"first run ended early: {first.stderr.read()}")
            __import__("time").sleep(0.05)
        second = amn("generate", "--medium", work / "medium.csv", "--size", 400, "--chunk-size", 20,
                     "--backend", "cobra", "--quiet", "--out", out)
        assert_clean_error(second, "busy.npz")
    finally:
        first.terminate()
        first.wait()


# ------------------------------------------------------------------------------------------------
# tables


def test_predict_negative_uptake(work, tmp_path):
    media = pd.read_csv(work / "media.csv")
    media.iloc[1, 0] = -1.0
    media.to_csv(tmp_path / "neg.csv", index=False)
    result = amn("predict", work / "model", "--media", tmp_path / "neg.csv", "--out", tmp_path / "p.csv")
    assert_clean_error(result, "neg.csv", str(media.columns[0]))
    assert not (tmp_path / "p.csv").exists()


def test_predict_creates_the_output_folder(work, tmp_path):
    out = tmp_path / "missing" / "dir" / "p.csv"
    result = amn("predict", work / "model", "--media", work / "media.csv", "--out", out)
    assert result.returncode == 0, result.stderr
    assert len(pd.read_csv(out)) == 3


def _experimental_table(tmp_path: Path, extra: dict | None = None) -> Path:
    rows = pd.DataFrame({"EX_glc__D_e_i": [1, 0, 1, 0, 1, 0, 1, 0], "EX_fru_e_i": [0, 1, 1, 0, 0, 1, 1, 0],
                         "EX_succ_e_i": [1, 1, 0, 1, 0, 0, 1, 1], "GR_AVG": [0.5, 0.4, 0.7, 0.3, 0.45, 0.35, 0.8, 0.3]})
    for name, values in (extra or {}).items():
        rows[name] = values
    path = tmp_path / "exp.csv"
    rows.to_csv(path, index=False)
    return path


def test_composition_column_not_in_the_model(work, tmp_path):
    table = _experimental_table(tmp_path, {"EX_nothing_e_i": [1, 0, 0, 1, 0, 1, 0, 1]})
    result = amn("experiment", "cv", "--data", table, "--model", "textbook", "--seeds", 0, "--out", tmp_path / "cv")
    assert_clean_error(result, "exp.csv", "EX_nothing_e_i")
    result = amn("generate", "--medium", work / "medium.csv", "--experimental", table, "--per-medium", 2,
                 "--out", tmp_path / "g.npz")
    assert_clean_error(result, "exp.csv", "EX_nothing_e_i")
    assert not (tmp_path / "g.npz").exists()
    result = amn("experiment", "fit", "--data", table, "--growth-model", work / "model", "--out", tmp_path / "b.csv")
    assert_clean_error(result, "exp.csv", "EX_nothing_e_i")
    assert not (tmp_path / "b.csv").exists()


def test_generate_reads_the_experimental_table_as_its_authors_name_the_uptakes(work, tmp_path):
    """Metabolite and exchange ids, unit hints and a mapping file draw the dataset of the uptake ids, seed for seed."""
    ids = pd.read_csv(_experimental_table(tmp_path))
    named = ids.rename(columns={"EX_glc__D_e_i": "glc__D_e (mM)", "EX_fru_e_i": "EX_fru_e", "EX_succ_e_i": "succinate"})
    named.to_csv(tmp_path / "named.csv", index=False)
    (tmp_path / "map.csv").write_text("column,id\nsuccinate,succ_e\n")
    common = ["--medium", work / "medium.csv", "--model", "textbook", "--per-medium", 3, "--quiet"]
    assert amn("generate", *common, "--experimental", tmp_path / "exp.csv", "--out", tmp_path / "ids.npz").returncode == 0
    result = amn("generate", *common, "--experimental", tmp_path / "named.csv", "--mapping", tmp_path / "map.csv",
                 "--out", tmp_path / "named.npz")
    assert result.returncode == 0, result.stderr
    assert "glc__D_e (mM) -> EX_glc__D_e_i, EX_fru_e -> EX_fru_e_i, succinate -> EX_succ_e_i" in result.stderr
    from amn.dataset import load_dataset

    for part in ("X", "Y"):
        pd.testing.assert_frame_equal(getattr(load_dataset(tmp_path / "named.npz"), part),
                                      getattr(load_dataset(tmp_path / "ids.npz"), part))
    assert_clean_error(amn("generate", *common, "--size", 5, "--mapping", tmp_path / "map.csv", "--out",
                           tmp_path / "x.npz"), "--mapping")


def test_duplicate_columns(work, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("EX_glc__D_e_i,EX_glc__D_e_i,GR_AVG\n1,1,0.5\n0,0,0.1\n1,1,0.6\n0,0,0.2\n")
    assert_clean_error(amn("experiment", "cv", "--data", path, "--seeds", 0, "--out", tmp_path / "cv"), "dup.csv",
                       "EX_glc__D_e_i")
    media = tmp_path / "dupmedia.csv"
    columns = list(pd.read_csv(work / "media.csv").columns)
    media.write_text(",".join(columns + columns[:1]) + "\n" + ",".join(["1"] * (len(columns) + 1)) + "\n")
    assert_clean_error(amn("predict", work / "model", "--media", media, "--out", tmp_path / "p.csv"), "dupmedia.csv")


def test_network_checks_the_medium_file_before_loading_the_model(tmp_path):
    result = amn("network", "textbook", "--medium", tmp_path / "MISSING.csv", "--out", tmp_path / "o.xml")
    assert_clean_error(result, "MISSING.csv")


# ------------------------------------------------------------------------------------------------
# experimental tables as users bring them: one line naming the file and the column


def _cv_case(tmp_path: Path, case: str) -> tuple[list, list[str]]:
    """The arguments of `amn experiment cv` for one bad table, and the names its message must hold."""
    table = _experimental_table(tmp_path)
    rows = pd.read_csv(table)
    out = ["--seeds", 0, "--methods", "ridge", "--out", tmp_path / "cv"]
    if case == "empty":
        (tmp_path / "empty.csv").write_text("EX_glc__D_e_i,GR_AVG\n")
        return ["--data", tmp_path / "empty.csv", *out], ["empty.csv", "no rows"]
    if case == "no target":
        return ["--data", table, "--target", "growth", *out], ["exp.csv", "growth"]
    if case == "target with NaN":
        rows.loc[3, "GR_AVG"] = None
        rows.to_csv(table, index=False)
        return ["--data", table, *out], ["exp.csv", "row 4", "GR_AVG"]
    if case == "unknown model":
        return ["--data", table, "--model", "no_such_model", *out], ["no_such_model"]
    if case == "mapping naming nothing":
        (tmp_path / "map.csv").write_text("column,id\nglucose,EX_glc__D_e_i\n")
        return ["--data", table, "--model", "textbook", "--mapping", tmp_path / "map.csv", *out], ["map.csv", "exp.csv"]
    if case == "knockout not 0/1":
        rows["pgi"] = [1, 1, 0, 2, 1, 1, 1, 1]
        rows.to_csv(table, index=False)
        return ["--data", table, "--model", "textbook", *out], ["exp.csv", "row 4", "pgi"]
    rows.loc[2, "EX_fru_e_i"] = -3.0  # negative bounds
    rows.to_csv(table, index=False)
    return ["--data", table, "--model", "textbook", *out], ["exp.csv", "row 3", "EX_fru_e_i", "non-negative"]


@pytest.mark.parametrize("case", ["empty", "no target", "target with NaN", "unknown model", "mapping naming nothing",
                                  "knockout not 0/1", "negative bounds"])
def test_bad_experimental_tables(tmp_path, case):
    args, names = _cv_case(tmp_path, case)
    run = amn_process if case == "empty" else amn
    assert_clean_error(run("experiment", "cv", *args), *names)
    assert not (tmp_path / "cv" / "results.csv").exists()
