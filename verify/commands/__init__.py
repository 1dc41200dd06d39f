"""Subcommands beyond all/check/list: one module per command (see ``verify.cli.COMMANDS``)."""
