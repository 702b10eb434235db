"""The README's commands run as written: every command the README (and docs/*.md) shows names a
program that exists and `amn` options that exist; the fast ones really run from a fresh directory
(`.ci/readme_commands.py`)."""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from amn.cli import main as amn_cli
from amn.data import locate
from amn.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "readme_commands.py"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CONTROL = {"&&", "||", "|", ";"}
REDIRECT = {">", ">>", "<", "2>"}
BUILTINS = {"export", "cd", "printf", "echo", "set"}


def _script():
    spec = importlib.util.spec_from_file_location("readme_commands", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


readme_commands = _script()


def _segments(text: str) -> list[list[str]]:
    """The simple commands of a shell line (split at && || | ;), redirections left out."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    segments, current, skip_next = [], [], False
    for token in lexer:
        if skip_next:
            skip_next = False
        elif token in CONTROL:
            segments.append(current)
            current = []
        elif token in REDIRECT:
            skip_next = True
        else:
            current.append(token)
    segments.append(current)
    return [s for s in segments if s]


def _bash(page: Path, runnable_only: bool = False):
    for command in readme_commands.parse(page):
        if command.kind != "bash" or (runnable_only and command.skip_reason):
            continue
        yield command


def _resolve(argv: list[str]) -> tuple[click.Command, list[str]]:
    """The click command an ``amn ...`` line calls, and the arguments left for it."""
    command, args = amn_cli, argv[1:]
    while isinstance(command, click.Group) and args and not args[0].startswith("-"):
        sub = command.get_command(click.Context(command), args[0])
        assert sub is not None, f"`amn {' '.join(argv[1:])}`: no command {args[0]!r}"
        command, args = sub, args[1:]
    return command, args


def test_list_shows_every_command():
    done = subprocess.run([sys.executable, str(SCRIPT), "--list"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(readme_commands.parse(ROOT / "README.md"))
    assert any(line.startswith("run ") for line in lines) and any("marked slow" in line for line in lines)


def test_parse_joins_continuations_and_strips_comments(tmp_path):
    page = tmp_path / "R.md"
    page.write_text("## Quick start\n```bash\npip install x\n```\n## 2. Work: more\n```bash\n# a comment\n"
                    "X=1\namn a \\\n    --b 'c # d' \\\n    --e f   # slow: ~3 min\nprintf 'a;b\\n' > K.csv  # note\n```\n"
                    "```python\n# slow: trains\nprint(1)\n```\n```python\nprint(2)\n```\n")
    commands = readme_commands.parse(page)
    assert [c.text for c in commands] == ["pip install x", "X=1", "amn a --b 'c # d' --e f",
                                          "printf 'a;b\\n' > K.csv", "# slow: trains\nprint(1)\n", "print(2)\n"]
    assert [c.section for c in commands] == ["Quick start"] + ["Work"] * 5
    assert [c.skip_reason is None for c in commands] == [False, True, False, True, False, True]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_commands_name_existing_programs_and_options(page):
    """Every command of the page that is meant to run anywhere: its programs are on PATH, its
    `amn` subcommands and options exist, and it names no path beside the repository."""
    checked = 0
    for command in _bash(page):
        if command.section in readme_commands.SKIPPED_SECTIONS:
            continue
        where = f"{page.name}:{command.line}: {command.text}"
        if not command.text.startswith("export AMN_DATA_DIR="):  # the one line that sets it
            assert "../shared" not in command.text, f"{where}: use $AMN_DATA_DIR/..."
        for argv in _segments(command.text):
            while argv and readme_commands.ASSIGNMENT.match(argv[0]):
                argv = argv[1:]  # NAME=value prefixes
            if not argv or argv[0] in BUILTINS:
                continue
            program = argv[0]
            if program in ("python", "python3"):
                target = argv[1]
                assert target == "-m" or (ROOT / target).is_file(), f"{where}: no {target} in the repository"
                continue
            assert shutil.which(program), f"{where}: {program} is not on PATH"
            if program != "amn":
                continue
            cli, args = _resolve(argv)
            known = {opt for p in cli.params for opt in (*p.opts, *p.secondary_opts)} | {"--help"}
            for arg in args:
                if arg.startswith("--"):
                    assert arg.split("=")[0] in known, f"{where}: `{cli.name}` has no option {arg}"
            checked += 1
    if page.name == "README.md":
        assert checked > 20


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_compile(page):
    for command in readme_commands.parse(page):
        if command.kind == "python":
            compile(command.text, f"{page.name}:{command.line}", "exec")


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("AMN_README_RUN") != "1", reason="set AMN_README_RUN=1 (about 5 minutes)")
def test_fast_readme_commands_run(tmp_path):
    """The README's commands not marked slow, in order, from an empty directory outside the
    repository with only AMN_DATA_DIR set: about 5 minutes on 2 loaded cores, so only with
    AMN_README_RUN=1 (``python .ci/readme_commands.py`` is the same run)."""
    try:
        data = locate("media/e_coli_core.csv").parents[1]
    except DataError:
        pytest.skip("data directory not available (set AMN_DATA_DIR)")
    env = {**os.environ, "AMN_DATA_DIR": str(data)}
    work = tmp_path / "work"
    done = subprocess.run([sys.executable, str(SCRIPT), "--keep", str(work)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
