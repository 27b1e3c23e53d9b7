"""``python -m mutuo``: the ``mutuo`` command with the running interpreter."""

from .cli import main

main()
