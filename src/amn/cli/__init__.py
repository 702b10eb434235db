"""The ``amn`` command line: a thin layer over the Python API.

Errors caused by bad input (:class:`amn.errors.AMNError`) are printed as one
line, ``amn: error: <file>: <problem>``, and the process exits with status 2,
without a traceback; so are click's usage errors (an option outside its range,
a missing option): ``amn: error: --batch-size: 0 is not in the range x>=1 (see
`amn train --help`)``; and so is a file the system cannot write (a full disk, no
permission): ``amn: error: cannot write: No space left on device``.

One module a command (``amn.cli.<command>``): it parses the options, calls
the library and prints; all checks and file reading live in the library.  A
command's module is imported when the command runs (it pulls in PyTorch, COBRApy
and scikit-learn), so ``amn --help`` and ``amn --version`` answer at once.
"""

from __future__ import annotations

import errno
import sys
from importlib import import_module

import click
from click.exceptions import NoArgsIsHelpError
from click.utils import make_default_short_help

from amn._version import __version__
from amn.errors import AMNError


class _InputError(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:  # one line, no "Error:" prefix of click
        click.echo(f"amn: error: {self.message}", err=True)


def _usage_line(exc: click.UsageError) -> str:
    """A usage error as one line: ``--option: problem (see `amn command --help`)``."""
    param = getattr(exc, "param", None)
    if isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter) and (
            exc.param_hint or param is not None):
        hint = exc.param_hint if isinstance(exc.param_hint, str) else (
            " / ".join(param.opts) if isinstance(param, click.Option) else param.human_readable_name)
        message = f"{hint}: {exc.message}"
    else:
        message = exc.format_message()
    message = (message.splitlines() or [""])[0].rstrip(".")
    return f"{message} (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else message


#: errno values of a write that failed for a reason outside the program (full disk, read-only file system, ...).
_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


#: command -> (its module, its one-line help for ``amn --help``: the first sentence of the command's own help).
COMMANDS = {
    "network": ("amn.cli.network", "Split MODEL into a unidirectional network and print its counts."),
    "medium": ("amn.cli.medium", ("Write a medium file for MODEL: its own medium always open, the --variable uptakes "
                                 "drawn.")),
    "generate": ("amn.cli.generate", "Draw media, label them by FBA/pFBA, and write a training set."),
    "dataset": ("amn.cli.dataset", ("Describe the dataset at PATH, or export it to CSV (missing folders of PREFIX are "
                                   "created).")),
    "train": ("amn.cli.train", "Cross-validate an architecture on a dataset, then train it on all samples and save it."),
    "evaluate": ("amn.cli.evaluate", ("Score a saved model on a dataset: Q^2 of the measured fluxes, of all fluxes, and "
                                     "the loss terms.")),
    "predict": ("amn.cli.predict", "Predict the fluxes of a saved model for the media of a CSV table."),
    "design": ("amn.cli.design", ("Design media under a budget by gradient ascent through a saved AMN, then validate "
                                 "them by FBA.")),
    "demo": ("amn.cli.demo", ("Network -> pFBA training set -> AMN with 5-fold CV, on the core model COBRApy bundles "
                             "(`textbook`).")),
    "data": ("amn.cli.data", "Locate and download data files (models, growth data)."),
    "experiment": ("amn.cli.experiment", "Experiments: growth-rate tables, media design, and models of measured growth."),
    "dynamic": ("amn.cli.dynamic", ("Dynamic AMNs: dynamic FBA with learned uptake kinetics, trained on whole growth "
                                   "curves.")),
}


class AMNGroup(click.Group):
    """A click group that turns :class:`AMNError` and usage errors into a one-line message and exit status 2.

    ``lazy`` maps command names to ``(module, one-line help)``: each is imported on first use and
    listed by ``--help`` without being imported (:data:`COMMANDS`).
    """

    def __init__(self, *args, lazy: dict[str, tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands or name not in self.lazy:
            return super().get_command(ctx, name)
        return getattr(import_module(self.lazy[name][0]), name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list as click writes it, the lazy commands' help taken from ``lazy``: none imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, self.commands[name].get_short_help_str(limit) if name in self.commands
                 else make_default_short_help(self.lazy[name][1], limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise _InputError(_usage_line(exc)) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise _InputError(_usage_line(exc)) from None
        except AMNError as exc:
            raise _InputError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        except OSError as exc:  # a file that cannot be written (disk full, no permission): one line, not a bug
            if exc.filename is None and exc.errno not in _WRITE_ERRORS:
                raise
            where = "cannot write" if exc.filename is None else str(exc.filename)
            raise _InputError(f"{where}: {exc.strerror or type(exc).__name__}") from None


@click.group(cls=AMNGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amn")
def main() -> None:
    """Artificial Metabolic Networks: metabolic models made trainable.

    Typical workflow: `amn network MODEL` (unidirectional network and its
    matrices), `amn medium MODEL` (a medium file read off the model, for a new
    organism), then training-set generation, training, and experiments.
    `amn demo` runs the pipeline on the E. coli core model shipped with COBRApy.
    """


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
