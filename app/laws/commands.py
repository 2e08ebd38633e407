"""``fawu`` subcommands of the laws domain."""

import click


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""
