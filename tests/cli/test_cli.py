"""The command line: help, version, demo, network, and one-line errors with exit status 2."""

from __future__ import annotations

import json

import cobra
import pytest
from click.testing import CliRunner

from amn import __version__
from amn.cli import main


@pytest.fixture()
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def test_version_and_help(run):
    assert __version__ in run("--version").output
    top = run("--help")
    assert top.exit_code == 0
    for command in main.commands:
        assert command in top.output
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_one_module_a_command():
    for name, command in main.commands.items():
        assert command.callback.__module__ == f"amn.cli.{name}", name


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


@pytest.mark.parametrize("case", ["missing", "not_sbml", "no_objective", "unknown_medium_reaction", "bad_medium"])
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
        "unknown_medium_reaction": (["network", "textbook", "--medium", medium, "--out", tmp_path / "o.xml"], "medium.csv: reaction(s) not in model"),
        "bad_medium": (["network", "textbook", "--medium", bad_medium, "--out", tmp_path / "o.xml"], "bad_medium.csv: non-numeric"),
    }[case]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("amn: error:") and needle in lines[0]
    assert "Traceback" not in result.output
