"""``python -m converter`` runs the ``convert`` command."""

from .cli import run

run()
