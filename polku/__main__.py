"""`python -m polku` is the `polku` command (used for child processes)."""

from polku.cli import main

main()
