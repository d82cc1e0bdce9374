"""The intercom tests' device simulator: a separate process
(``python -m edom_graphql.intercom.service.simulator``) on a free port, which the API
drives over HTTP and which posts its signed events to the API's callback route."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.intercom.scene import SimulatorClient


@pytest.fixture(scope="session")
def simulator() -> Iterator[SimulatorClient]:
    log = tempfile.NamedTemporaryFile(prefix="edom-intercom-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "edom_graphql.intercom.service.simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("simulator listening on "):
        process.kill()
        raise RuntimeError(f"the simulator did not start: {line!r} {Path(log.name).read_text()}")
    try:

        def describe() -> str:
            log.flush()
            state = "running" if process.poll() is None else f"exited with {process.returncode}"
            return f"{state}; its log: {Path(log.name).read_text(errors='replace')[-3000:]}"

        yield SimulatorClient(line.split()[-1], describe)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        Path(log.name).unlink(missing_ok=True)
