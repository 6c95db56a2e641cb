"""``python -m converter`` runs the ``convert`` command."""

from .launch import run

run()
