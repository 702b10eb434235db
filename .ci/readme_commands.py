#!/usr/bin/env python
"""Run the README's commands as written, from a fresh directory outside the repository.

Every ```bash block of README.md is read (backslash continuations joined,
comments stripped) and every ```python block is taken whole; they run in README
order in one fresh temporary directory, with ``AMN_DATA_DIR`` set and ``amn``
and ``python`` of this interpreter first on ``PATH``.  The first command that
exits non-zero stops the run: it is printed with its output, and the script
exits with that status.

Not run, and listed as such by ``--list``:

* a command whose trailing comment starts with ``slow`` (``# slow: ~14 min``),
  or a python block whose first line does (``# slow ...``); ``--all`` runs them too;
* a command whose trailing comment starts with ``network`` (it downloads);
* the Quick start section (install and test suite: what ``.ci/run`` does);
* ``python benchmarks/...``: scripts of the repository, run from its root;
* ``export AMN_DATA_DIR=...``: this script sets it.

A shell assignment ``NAME=value`` on a line of its own is kept for the commands
after it (as in one shell session).

Usage::

    AMN_DATA_DIR=/path/to/shared/data python .ci/readme_commands.py           # the fast commands
    python .ci/readme_commands.py --list                                        # what would run
    python .ci/readme_commands.py --readme /path/to/clone/README.md --keep out  # keep the outputs
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = re.compile(r"^(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(\S*)$")
SKIPPED_SECTIONS = {"Quick start": "quick start (install and test suite: .ci/run)"}


@dataclass
class Command:
    """One command (bash, continuations joined, comment stripped) or one python block."""

    kind: str  # "bash" or "python"
    text: str
    comment: str  # the trailing comment (bash) or the first comment line (python), without '#'
    section: str  # the README heading above it
    line: int  # README line number where it starts

    @property
    def skip_reason(self) -> str | None:
        """Why it is not run by default (None: it runs)."""
        marker = self.comment.strip().lower()
        if self.section in SKIPPED_SECTIONS:
            return SKIPPED_SECTIONS[self.section]
        if marker.startswith("slow"):
            return f"marked {self.comment.strip()}"
        if marker.startswith("network"):
            return f"marked {self.comment.strip()}"
        if self.kind == "bash" and re.match(r"^python3?\s+benchmarks/", self.text):
            return "a script of the repository (run from its root)"
        match = ASSIGNMENT.match(self.text)
        if match and match.group(2) == "AMN_DATA_DIR":
            return "AMN_DATA_DIR is set by this script"
        return None

    @property
    def slow(self) -> bool:
        return self.comment.strip().lower().startswith("slow")


def split_comment(line: str) -> tuple[str, str]:
    """``(code, comment)``: the first ``#`` outside quotes that starts a word begins the comment."""
    quote, i = None, 0
    while i < len(line):
        char = line[i]
        if char == "\\" and quote != "'":
            i += 2  # an escaped character
            continue
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
        i += 1
    return line.rstrip(), ""


def parse(readme: str | Path) -> list[Command]:
    """Every bash command and python block of a README, in order."""
    commands: list[Command] = []
    section, block, start, pending, pending_line = "", None, 0, "", 0
    for number, raw in enumerate(Path(readme).read_text().splitlines(), start=1):
        if block is None:
            heading = re.match(r"^#{2,}\s+(.*)", raw)
            if heading:
                section = re.sub(r"^\d+\.\s*", "", heading.group(1)).split(":")[0].strip()
            fence = re.match(r"^```(\w+)\s*$", raw)
            if fence:
                block, start, lines = fence.group(1), number, []
            continue
        if raw.startswith("```"):
            if block == "python" and lines:
                first = next((ln.strip() for ln in lines if ln.strip()), "")
                comment = first[1:].strip() if first.startswith("#") else ""
                commands.append(Command("python", "\n".join(lines) + "\n", comment, section, start + 1))
            block = None
            continue
        if block == "python":
            lines.append(raw)
            continue
        if block != "bash":
            continue
        code, comment = split_comment(raw)
        if not pending:
            pending_line = number
        if code.endswith("\\"):
            pending += code[:-1].strip() + " "
            continue
        text = (pending + code.strip()).strip()
        pending = ""
        if text:
            commands.append(Command("bash", text, comment, section, pending_line))
    return commands


def run(commands: list[Command], workdir: Path, data_dir: Path, include_slow: bool, verbose: bool = False) -> int:
    env = dict(os.environ)
    env["AMN_DATA_DIR"] = str(data_dir)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("MPLBACKEND", "Agg")
    total = time.perf_counter()
    for k, command in enumerate(commands):
        reason = command.skip_reason
        if reason and not (include_slow and command.slow):
            print(f"skip  README:{command.line}  {first_line(command)}  ({reason})", flush=True)
            continue
        assignment = ASSIGNMENT.match(command.text) if command.kind == "bash" else None
        if assignment:
            value = subprocess.run(["bash", "-c", f'printf %s "{assignment.group(3)}"'], env=env, cwd=workdir,
                                   capture_output=True, text=True, check=True).stdout
            env[assignment.group(2)] = value
            print(f"set   README:{command.line}  {assignment.group(2)}={value}", flush=True)
            continue
        if command.kind == "python":
            script = workdir / f"readme_{command.line}.py"
            script.write_text(command.text)
            argv = [sys.executable, script.name]
        else:
            argv = ["bash", "-eo", "pipefail", "-c", command.text]
        print(f"run   README:{command.line}  {first_line(command)}", flush=True)
        t0 = time.perf_counter()
        result = subprocess.run(argv, env=env, cwd=workdir, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t0
        if result.returncode != 0:
            print(f"\nFAILED (exit {result.returncode}, {seconds:.1f} s), README line {command.line}, in {workdir}:",
                  file=sys.stderr)
            print(command.text, file=sys.stderr)
            print("--- stdout ---\n" + result.stdout[-6000:] + "--- stderr ---\n" + result.stderr[-6000:],
                  file=sys.stderr)
            return result.returncode
        print(f"      ok in {seconds:.1f} s", flush=True)
        if verbose:
            print("\n".join("      | " + line for line in (result.stdout + result.stderr).rstrip().splitlines()[-20:]))
    print(f"all README commands run passed in {time.perf_counter() - total:.0f} s ({workdir})")
    return 0


def first_line(command: Command) -> str:
    text = command.text.strip().splitlines()
    label = text[0] if command.kind == "bash" else f"[python] {text[0]}"
    return label + (" ..." if len(text) > 1 else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    parser.add_argument("--list", action="store_true", help="Print what would run or be skipped, run nothing.")
    parser.add_argument("--all", action="store_true", help="Also run the commands marked slow.")
    parser.add_argument("--keep", type=Path, help="Run in this directory (created, must be empty) and keep it.")
    parser.add_argument("--data-dir", type=Path, help="The data directory [default: $AMN_DATA_DIR].")
    parser.add_argument("--verbose", action="store_true", help="Print the last lines of each command's output.")
    args = parser.parse_args(argv)

    commands = parse(args.readme)
    if args.list:
        for command in commands:
            reason = command.skip_reason
            status = "run " if reason is None or (args.all and command.slow) else "skip"
            print(f"{status}  README:{command.line}  [{command.section}]  {first_line(command)}"
                  + (f"  ({reason})" if status == "skip" else ""))
        return 0
    data_dir = args.data_dir or (Path(os.environ["AMN_DATA_DIR"]) if os.environ.get("AMN_DATA_DIR") else None)
    if data_dir is None or not data_dir.is_dir():
        parser.error("set AMN_DATA_DIR (or --data-dir) to the data directory")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        if any(args.keep.iterdir()):
            parser.error(f"{args.keep} is not empty")
        return run(commands, args.keep.resolve(), data_dir.resolve(), args.all, args.verbose)
    workdir = Path(tempfile.mkdtemp(prefix="amn-readme-"))
    code = run(commands, workdir, data_dir.resolve(), args.all, args.verbose)
    if code == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
