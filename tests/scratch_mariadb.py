"""Run an async scenario in its own Python process against a scratch MariaDB database.

Migration tests need their own process: tortoise keeps the SQLite dialect of earlier tests in the
test process. ``scenario`` is "module:function", the function taking the database URL."""

from __future__ import annotations

import os
import subprocess
import sys

from tests import needs
from tests.conftest import ROOT


def run_on_scratch_mariadb(scenario: str, prefix: str, *, timeout: float = 600) -> None:
    needs.skip_unless(needs.mariadb())
    module, func = scenario.split(":")
    name = f"{prefix}_{os.getpid()}"
    subprocess.run(["mysql", "-uroot", "-e", f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} CHARACTER SET utf8mb4"],
                   check=True)
    url = f"mysql://root:@127.0.0.1:3306/{name}"
    try:
        run = subprocess.run([sys.executable, "-c", f"import asyncio, sys; from {module} import {func}; "
                              f"asyncio.run({func}(sys.argv[1]))", url],
                             capture_output=True, text=True, cwd=ROOT, timeout=timeout)
        assert run.returncode == 0, run.stderr[-3000:]
    finally:
        subprocess.run(["mysql", "-uroot", "-e", f"DROP DATABASE IF EXISTS {name}"], check=False)
