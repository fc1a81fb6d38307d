"""`python -m services.runtime` is the `polku` command (used for child processes)."""

from services.runtime.cli import main

main()
