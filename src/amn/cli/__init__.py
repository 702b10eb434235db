"""The ``amn`` command line: a thin layer over the Python API.

Errors caused by bad input (:class:`amn.errors.AMNError`) are printed as one
line, ``amn: error: <file>: <problem>``, and the process exits with status 2,
without a traceback.

One module a command (``amn.cli.<command>``): it parses the options, calls
the library and prints; all checks and file reading live in the library.
"""

from __future__ import annotations

import sys

import click

from amn._version import __version__
from amn.cli.data import data
from amn.cli.dataset import dataset
from amn.cli.demo import demo
from amn.cli.design import design
from amn.cli.evaluate import evaluate
from amn.cli.experiment import experiment
from amn.cli.generate import generate
from amn.cli.network import network
from amn.cli.predict import predict
from amn.cli.train import train
from amn.errors import AMNError


class _InputError(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:  # one line, no "Error:" prefix of click
        click.echo(f"amn: error: {self.message}", err=True)


class AMNGroup(click.Group):
    """A click group that turns :class:`AMNError` into a one-line message and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AMNError as exc:
            raise _InputError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None


@click.group(cls=AMNGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amn")
def main() -> None:
    """Artificial Metabolic Networks: metabolic models made trainable.

    Typical workflow: `amn network MODEL` (unidirectional network and its
    matrices), then training-set generation, training, and experiments.
    `amn demo` runs the pipeline on the E. coli core model shipped with COBRApy.
    """


for _command in (network, generate, dataset, train, evaluate, predict, design, demo, data, experiment):
    main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
