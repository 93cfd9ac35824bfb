"""``python -m indexer`` runs the policy-search command line."""

from .cli import main

main()
