"""``python -m amn`` runs the command line."""

from amn.cli import main

main()
