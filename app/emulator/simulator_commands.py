"""``fawu simulate``: the callback simulator command."""

import click


def register(cli: click.Group) -> None:
    """Add the simulator command to ``fawu``."""
