"""``python -m hfs_pathway`` runs the command line."""

from .cli import main

raise SystemExit(main())
