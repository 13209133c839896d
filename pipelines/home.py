"""The project's one Dagster home, shared by the command line, `make run`, `make ui` and the
daemon, so every run shows in the UI and the schedule and sensor can be started from a shell.
No Dagster import here: `make ui` calls this before starting `dg dev`.

`python -m pipelines.home` creates it and prints its path."""

from __future__ import annotations

import os
from pathlib import Path

from staging.settings import PROJECT_ROOT

DEFAULT_HOME = PROJECT_ROOT / ".dagster_home"  # git-ignored
CONFIG = """# Created by trial-warehouse: Dagster's default storage (SQLite files in this folder).
# Telemetry is off: the pipeline's machines need not reach the internet.
telemetry:
  enabled: false
"""


def dagster_home() -> Path:
    """`DAGSTER_HOME` when set, else `.dagster_home/` in the project; created with a
    `dagster.yaml` (without one Dagster warns at every start)."""
    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(CONFIG)
    return home


if __name__ == "__main__":
    print(dagster_home())
