"""The command line: help, version, demo, network, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import cobra
import pandas as pd
import pytest
from click.testing import CliRunner

from amn import __version__
from amn.cli import COMMANDS, main


@pytest.fixture()
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def _commands() -> dict[str, click.Command]:
    ctx = click.Context(main)
    return {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}


def test_version_and_help(run):
    assert __version__ in run("--version").output
    top = run("--help")
    assert top.exit_code == 0
    commands = _commands()
    assert len(commands) == 12
    for name, command in commands.items():  # the list is the commands' own first sentences
        assert re.search(rf"^  {name} +{re.escape(command.get_short_help_str(limit=40)[:30])}", top.output, re.MULTILINE), name
        result = run(name, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_one_module_a_command():
    import amn.cli

    modules = {path.stem for path in Path(amn.cli.__file__).parent.glob("*.py")} - {"__init__", "_options"}
    assert set(COMMANDS) == modules  # a new command module is listed in COMMANDS, or `amn` never finds it
    for name, command in _commands().items():
        assert command.callback.__module__ == f"amn.cli.{name}", name
        assert command.get_short_help_str(limit=10**4) == COMMANDS[name][1], name


def test_help_and_version_import_no_heavy_library():
    """`amn --help` answers without PyTorch, COBRApy or scikit-learn (seconds to import): neither `import amn`
    nor the command list loads them."""
    code = ("import sys; from amn.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "import amn; amn.__version__, amn.AMNError\n"
            "print(sorted({'torch', 'cobra', 'sklearn', 'pandas'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"
    lazy = subprocess.run([sys.executable, "-c", "import amn; print(amn.make_unidirectional('textbook').reaction_ids[0])"],
                          capture_output=True, text=True, check=True)
    assert lazy.stdout.strip() and "make_unidirectional" in dir(__import__("amn"))


def test_every_command_help_imports_no_heavy_library():
    """`amn <command> [<subcommand>] --help` answers in a fraction of a second: the command modules import
    the library inside their commands, and the architectures' names come from a module without PyTorch."""
    code = ("import sys, click; from amn.cli import main\n"
            "ctx = click.Context(main)\n"
            "paths = [[name] for name in main.list_commands(ctx)]\n"
            "for name in list(main.list_commands(ctx)):\n"
            "    command = main.get_command(ctx, name)\n"
            "    if isinstance(command, click.Group):\n"
            "        paths += [[name, sub] for sub in command.list_commands(ctx)]\n"
            "for path in paths:\n"
            "    try:\n        main([*path, '--help'])\n    except SystemExit as exit:\n        assert exit.code == 0, path\n"
            "print(len(paths), sorted({'torch', 'cobra', 'sklearn', 'scipy', 'pandas'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    count, loaded = out.splitlines()[-1].split(" ", 1)
    assert int(count) > len(COMMANDS) and loaded == "[]"


def test_a_missing_input_file_is_refused_before_the_library_loads(tmp_path):
    """A mistyped path answers at once: each command checks its files before it imports PyTorch or COBRApy."""
    missing = str(tmp_path / "nope.csv")
    calls = [["train", "--dataset", missing, "--out", str(tmp_path / "o")],
             ["generate", "--medium", missing, "--size", "3", "--out", str(tmp_path / "o.npz")],
             ["predict", str(tmp_path), "--media", missing, "--out", str(tmp_path / "o.csv")],
             ["evaluate", str(tmp_path), "--dataset", missing],
             ["design", "--model", str(tmp_path), "--medium", missing, "--out", str(tmp_path / "o.csv")],
             ["network", "textbook", "--medium", missing],
             ["experiment", "cv", "--data", missing],
             ["experiment", "fit", "--data", missing, "--growth-model", str(tmp_path), "--out", str(tmp_path / "o.csv")],
             ["experiment", "reservoir-medium", "--data", missing, "--model", "textbook", "--medium", missing,
              "--out", str(tmp_path / "o.csv")],
             ["dynamic", "fit", "--media", missing, "--curves", missing, "--out", str(tmp_path / "o")],
             ["dynamic", "cv", "--media", missing, "--curves", missing],
             ["dynamic", "predict", str(tmp_path), "--media", missing, "--times", "0,1", "--out", str(tmp_path / "o.csv")]]
    code = ("import sys; from amn.cli import main\n"
            f"for args in {calls!r}:\n"
            "    try:\n        main(args)\n    except SystemExit as exit:\n        assert exit.code == 2, args\n"
            "print(sorted({'torch', 'cobra', 'sklearn'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"
    assert done.stderr.count("nope.csv: no such file") == len(calls), done.stderr


def test_demo_refuses_an_unknown_architecture_before_any_work(run, tmp_path):
    result = run("demo", "--out", tmp_path / "demo", "--arch", "amn-bogus")
    assert result.exit_code == 2 and "'amn-bogus' is not one of" in result.output
    assert not (tmp_path / "demo").exists()


def test_demo_runs_the_simulated_pipeline(run, textbook, tmp_path):
    result = run("demo", "--out", tmp_path / "demo", "--size", 120, "--epochs", 5)
    assert result.exit_code == 0, result.output
    assert f"FBA growth {textbook.slim_optimize():.4f} (COBRApy {textbook.slim_optimize():.4f})" in result.output
    assert "amn-qp    growth Q2" in result.output and "ann-dense growth Q2" in result.output
    assert (tmp_path / "demo" / "model" / "model.safetensors").exists()
    assert (tmp_path / "demo" / "growth_cv.png").stat().st_size > 10_000


def test_network_json_and_written_sbml(run, tmp_path):
    out = tmp_path / "uni.xml"
    result = run("network", "textbook", "--json", "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["reactions"] == 154 and summary["reversible_split"] == 39 and summary["exchanges"] == 20
    assert summary["essential_uptakes"] == ["EX_pi_e_i"]
    assert summary["matrices"]["S"] == [72, 154]
    written = cobra.io.read_sbml_model(str(out))
    assert len(written.reactions) == 154 and all(r.lower_bound >= 0 for r in written.reactions)


def test_network_text_output(run, tmp_path):
    result = run("network", "textbook", "--out", tmp_path / "u.xml", "--no-lp-split")
    assert result.exit_code == 0
    assert "reversible split   39" in result.output and "essential uptakes  1: EX_pi_e_i" in result.output


def _no_objective_sbml(tmp_path, textbook):
    model = textbook.copy()
    model.objective = {}
    path = tmp_path / "noobj.xml"
    cobra.io.write_sbml_model(model, str(path))
    return path


def _nan_bound_sbml(tmp_path, textbook):
    path = tmp_path / "nan.xml"
    cobra.io.write_sbml_model(textbook, str(path))
    text = path.read_text()
    element = re.search(r'<parameter [^>]*id="cobra_default_ub"[^>]*>', text).group(0)
    path.write_text(text.replace(element, element.replace('value="1000"', 'value="NaN"')))
    assert "NaN" in path.read_text()
    return path


@pytest.mark.parametrize("case", ["missing", "not_sbml", "no_objective", "nan_bound", "unknown_medium_reaction",
                                  "bad_medium"])
def test_bad_input_is_one_line_and_exit_2(run, tmp_path, textbook, case):
    notes = tmp_path / "notes.xml"
    notes.write_text("this is not SBML")
    medium = tmp_path / "medium.csv"
    medium.write_text("name,EX_glc__D_e_i,EX_foo_e_i\nlevel,1,1\nmax_value,10,10\nratio_drawing,0,\n")
    bad_medium = tmp_path / "bad_medium.csv"
    bad_medium.write_text("name,EX_glc__D_e_i\nlevel,x\nmax_value,10\nratio_drawing,0\n")
    args, needle = {
        "missing": (["network", tmp_path / "absent.xml"], "absent.xml: no such file"),
        "not_sbml": (["network", notes], "notes.xml: not a valid SBML model"),
        "no_objective": (["network", _no_objective_sbml(tmp_path, textbook)], "noobj.xml: the model has no objective"),
        "nan_bound": (["network", _nan_bound_sbml(tmp_path, textbook)], ("nan.xml: not a valid SBML model (Something is "
                      "wrong with the provided bounds")),
        "unknown_medium_reaction": (["network", "textbook", "--medium", medium, "--out", tmp_path / "o.xml"], "medium.csv: reaction(s) not in model"),
        "bad_medium": (["network", "textbook", "--medium", bad_medium, "--out", tmp_path / "o.xml"], "bad_medium.csv: non-numeric"),
    }[case]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("amn: error:") and needle in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, needle", [
    (["train", "--dataset", "d.npz", "--out", "m", "--batch-size", "0"], "--batch-size: 0 is not in the range x>=1"),
    (["train", "--dataset", "d.npz", "--out", "m", "--lr", "0"], "--lr: 0.0 is not in the range x>0"),
    (["train", "--dataset", "d.npz", "--out", "m", "--hidden", "50,x"], "--hidden: '50,x' is not comma-separated"),
    (["generate", "--size", "5", "--out", "x.npz"], "Missing option '--medium'"),
    (["nope"], "No such command 'nope'"),
    (["data", "fetch"], "Missing argument 'NAME'"),
])
def test_usage_errors_are_one_line_and_exit_2(run, tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.npz").write_bytes(b"")
    result = run(*args)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith("amn: error: ") and needle in lines[0] and "--help`)" in lines[0]
    assert not (tmp_path / "m").exists()


def test_outputs_are_checked_before_the_work_and_their_folders_created(run, tmp_path, textbook_net):
    from amn.dataset import generate
    from amn.media import RandomMedia
    from amn.media.spec import core_medium

    dataset = tmp_path / "d.npz"
    generate(textbook_net, RandomMedia(core_medium(textbook_net), 12), dataset, progress=False,
             extra_metadata={"model_source": "textbook"})
    (tmp_path / "FILE").write_text("")
    result = run("dataset", dataset, "--csv", tmp_path / "FILE" / "sub" / "p")
    assert result.exit_code == 2 and "FILE is a file, not a folder" in result.output
    assert run("dataset", dataset, "--csv", tmp_path / "new" / "p").exit_code == 0
    assert (tmp_path / "new" / "p_X.csv").exists()
    result = run("train", "--dataset", dataset, "--out", tmp_path / "FILE", "--epochs", 1)
    assert result.exit_code == 2 and "--out" in result.output and "is a file" in result.output
    result = run("train", "--dataset", dataset, "--test", tmp_path / "absent.npz", "--out", tmp_path / "m")
    assert result.exit_code == 2 and "absent.npz: no such file (--test)" in result.output
    assert not (tmp_path / "m").exists()
    result = run("network", "textbook", "--out", tmp_path / "FILE" / "u.xml", "--no-essential")
    assert result.exit_code == 2 and "FILE is a file" in result.output


def test_train_rerun_says_which_epochs_ran(run, tmp_path, textbook_net):
    from amn.dataset import generate
    from amn.media import RandomMedia
    from amn.media.spec import core_medium

    dataset = tmp_path / "d.npz"
    generate(textbook_net, RandomMedia(core_medium(textbook_net), 12), dataset, progress=False,
             extra_metadata={"model_source": "textbook"})
    args = ["train", "--dataset", dataset, "--arch", "ann-dense", "--epochs", 3, "--folds", 1, "--quiet",
            "--out", tmp_path / "m"]
    first = run(*args)
    assert first.exit_code == 0, first.output
    assert "3 epochs, " in first.output and "s/epoch" in first.output and "run now" not in first.output
    again = run(*args)
    assert again.exit_code == 0 and "3 epochs, all from the checkpoint" in again.output, again.output

    other = tmp_path / "other.npz"  # the same network, other media: its checkpoints are not this run's
    generate(textbook_net, RandomMedia(core_medium(textbook_net), 12), other, progress=False, seed=7,
             extra_metadata={"model_source": "textbook"})
    for change, what in ((["--dataset", other], "dataset"), (["--w-sv", 10], "w_sv"), (["--hidden", 20], "hidden")):
        result = run(*args, *change)
        assert result.exit_code == 2, result.output
        assert result.output.strip() == (f"amn: error: {tmp_path / 'm' / 'checkpoints'}: left by a run with another "
                                         f"{what}; rerun that run to resume it, or delete the folder to start over")


def test_evaluate_refuses_a_dataset_of_other_media(run, tmp_path, textbook_net):
    from amn.dataset import generate
    from amn.media import RandomMedia
    from amn.media.spec import MediumSpec, core_medium

    spec = core_medium(textbook_net)
    keep = [i for i, r in enumerate(spec.reaction_ids) if r not in ("EX_succ_e_i", "EX_pyr_e_i")]
    fewer = MediumSpec(tuple(spec.reaction_ids[i] for i in keep), spec.level[keep], spec.max_value[keep],
                       spec.ratio_drawing, source="fewer")
    for name, medium in (("all.npz", spec), ("fewer.npz", fewer)):
        generate(textbook_net, RandomMedia(medium, 12), tmp_path / name, progress=False,
                 extra_metadata={"model_source": "textbook"})
    trained = run("train", "--dataset", tmp_path / "fewer.npz", "--arch", "amn-qp", "--epochs", 1, "--folds", 1,
                  "--quiet", "--out", tmp_path / "m")
    assert trained.exit_code == 0, trained.output
    result = run("evaluate", tmp_path / "m", "--dataset", tmp_path / "all.npz")  # 2 uptakes the model never sees
    assert result.exit_code == 2 and result.output.strip() == (
        f"amn: error: {tmp_path / 'all.npz'}: its uptakes differ from those of the model in {tmp_path / 'm'}: not in "
        "the model: EX_pyr_e_i, EX_succ_e_i")
    assert run("evaluate", tmp_path / "m", "--dataset", tmp_path / "fewer.npz").exit_code == 0


def test_train_refuses_settings_that_are_no_numbers_or_no_layer_settings(run, tmp_path, textbook_net):
    from amn.dataset import generate
    from amn.media import RandomMedia
    from amn.media.spec import core_medium

    dataset = tmp_path / "d.npz"
    generate(textbook_net, RandomMedia(core_medium(textbook_net), 12), dataset, progress=False,
             extra_metadata={"model_source": "textbook"})
    base = ["train", "--dataset", dataset, "--arch", "amn-qp", "--epochs", 2, "--folds", 2, "--quiet"]
    for extra, needle in ((["--w-sv", "nan"], "--w-sv: 'nan' is not a finite number"),
                          (["--lr", "inf"], "--lr: 'inf' is not a finite number"),
                          (["--grid", "lr=abc"], "--grid: 'lr=abc': 'abc' is not a number"),
                          (["--layer-param", "bogus=3"], "--layer-param: layer QP has no setting bogus (settings: "),
                          (["--layer-param", "iterations=-3"], "--layer-param: layer QP: iterations must be >= 0, got -3"),
                          (["--layer-param", "iterations=abc"], ("--layer-param: layer QP setting iterations: 'abc' is "
                                                                "not a number")),
                          (["--grid", "layer.iterations=-3,4"], "--grid layer.*: layer QP: iterations must be >= 0")):
        result = run(*base, *extra, "--out", tmp_path / "m")
        lines = result.output.strip().splitlines()
        assert result.exit_code != 0 and len(lines) == 1 and needle in lines[0], result.output
        assert not (tmp_path / "m").exists()


@pytest.mark.skipif(not Path("/dev/full").exists() or not Path("/proc/version").exists(), reason="Linux devices")
def test_a_failed_write_is_one_line_not_a_success_or_a_traceback(run, tmp_path):
    result = run("network", "textbook", "--no-essential", "--out", "/proc/version")  # libsbml fails without raising
    assert result.exit_code == 2 and result.output.strip() == ("amn: error: /proc/version: cannot write (nothing was "
                                                                "written)")
    media = tmp_path / "m.csv"
    media.write_text("EX_glc__D_e_i\n1\n")
    model = tmp_path / "model"
    from amn.models import AMNRegressor, save_model

    save_model(AMNRegressor(arch="ann-dense", network="textbook", medium=["EX_glc__D_e_i"], epochs=1).fit(
        pd.DataFrame({"EX_glc__D_e_i": [1.0, 2.0]}), pd.DataFrame({"Biomass_Ecoli_core": [0.1, 0.2]})), model)
    result = run("predict", model, "--media", media, "--out", "/dev/full")  # disk full
    assert result.exit_code == 2 and result.output.strip() == "amn: error: cannot write: No space left on device"
