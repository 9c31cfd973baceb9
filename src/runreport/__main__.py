"""``python -m runreport`` runs the command line."""

from runreport.cli import main

main(prog_name="runreport")
