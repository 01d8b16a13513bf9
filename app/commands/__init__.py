"""Sub-commands of `leadgate`, one module per topic; see app/cli.py."""
