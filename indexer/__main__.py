"""``python -m indexer`` runs the policy-search command line."""

from indexer.cli import main

main()
