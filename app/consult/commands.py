"""``fawu`` subcommands of the consult domain."""

import click


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""
