"""The ``amn`` command line: a thin layer over the Python API.

Errors caused by bad input (:class:`amn.errors.AMNError`) are printed as one
line, ``amn: error: <file>: <problem>``, and the process exits with status 2,
without a traceback; so are click's usage errors (an option outside its range,
a missing option): ``amn: error: --batch-size: 0 is not in the range x>=1 (see
`amn train --help`)``; and so is a file the system cannot write (a full disk, no
permission): ``amn: error: cannot write: No space left on device``.

One module a command (``amn.cli.<command>``): it parses the options, calls
the library and prints; all checks and file reading live in the library.
"""

from __future__ import annotations

import errno
import sys

import click
from click.exceptions import NoArgsIsHelpError

from amn._version import __version__
from amn.cli.data import data
from amn.cli.dataset import dataset
from amn.cli.demo import demo
from amn.cli.design import design
from amn.cli.dynamic import dynamic
from amn.cli.evaluate import evaluate
from amn.cli.experiment import experiment
from amn.cli.generate import generate
from amn.cli.medium import medium
from amn.cli.network import network
from amn.cli.predict import predict
from amn.cli.train import train
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


class AMNGroup(click.Group):
    """A click group that turns :class:`AMNError` and usage errors into a one-line message and exit status 2."""

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


@click.group(cls=AMNGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amn")
def main() -> None:
    """Artificial Metabolic Networks: metabolic models made trainable.

    Typical workflow: `amn network MODEL` (unidirectional network and its
    matrices), `amn medium MODEL` (a medium file read off the model, for a new
    organism), then training-set generation, training, and experiments.
    `amn demo` runs the pipeline on the E. coli core model shipped with COBRApy.
    """


for _command in (network, medium, generate, dataset, train, evaluate, predict, design, demo, data, experiment, dynamic):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
