"""`python -m publish` runs the capsule command."""

from publish.cli import main

main(prog_name="capsule")
