"""`python -m bisnap` runs the CLI."""

from bisnap.cli import run

run()
