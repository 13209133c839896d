"""The command line's live progress on a terminal: a bar per stage (its batches, pages/s, time
left) drawn with rich, fed by the run's Dagster events (a step starting, the extract's counts)
and by the batch stages' own progress (`ingest.workers.listening`). Off a terminal, or with
`--quiet`, the run logs plain lines through Dagster's console logger instead."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ingest.workers import listening

# Steps named for what they do; a step not listed (a check, an asset added later) shows its key.
STAGES = {
    "landing_pages": "extract",
    "parsed_records": "parse",
    "validated_records": "validate",
    "warehouse_load": "load",
    "warehouse_checks": "checks",
    "parquet_exports": "export",
    "warehouse_report": "report",
    "registry_fetch": "fetch",
}


class PagesPerSecond(ProgressColumn):
    """Pages/s of a batch stage: the run's pages to read, shared out over its batches."""

    def render(self, task: Task) -> Text:
        pages, elapsed = task.fields.get("pages"), task.elapsed
        if not pages or not task.total or not task.completed or not elapsed:
            return Text("")
        return Text(f"{pages * task.completed / task.total / elapsed:,.0f} pages/s", style="cyan")


class LiveProgress:
    """One bar per stage; messages (the run's info lines, warnings) print above the bars."""

    def __init__(self, console: Console | None = None) -> None:
        self.bars = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("batches"),
            PagesPerSecond(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
        )
        self.tasks: dict[str, TaskID] = {}
        self.pages: int | None = None

    def stage(self, name: str) -> TaskID:
        """The stage's bar, started (with an unknown total) the first time it is named."""
        if name not in self.tasks:
            self._complete_all()  # stages run one after another: the one before has ended
            self.tasks[name] = self.bars.add_task(name, total=None, pages=self.pages)
        return self.tasks[name]

    def _complete_all(self) -> None:
        for task in self.bars.tasks:
            if not task.finished:
                self.bars.update(task.id, total=task.total or 1, completed=task.total or 1)

    def batches(self, stage: str, done: int, total: int) -> None:
        self.bars.update(self.stage(stage), total=total, completed=done, pages=self.pages)

    def event(self, record: logging.LogRecord) -> None:
        """A Dagster log record: a step start opens its stage; a message from the assets
        (not a framework event) or anything at warning level or above is printed."""
        meta: dict[str, Any] = record.__dict__.get("dagster_meta") or {}
        event = meta.get("dagster_event")
        if event is None:
            if record.levelno >= logging.INFO:
                self.bars.console.print(Text(f"{meta.get('orig_message', record.getMessage())}"))
            return
        if event.event_type_value == "STEP_START" and event.step_key:
            self.stage(STAGES.get(event.step_key, event.step_key))
        elif event.event_type_value == "ASSET_MATERIALIZATION" and event.step_key == "landing_pages":
            self._read_pages(event)
        elif record.levelno >= logging.WARNING:
            self.bars.console.print(Text(record.getMessage(), style="yellow"))

    def _read_pages(self, event: dg.DagsterEvent) -> None:
        metadata = getattr(getattr(event.event_specific_data, "materialization", None), "metadata", {}) or {}
        files_read = metadata.get("files_read")
        self.pages = int(files_read.value) if files_read is not None else None

    @contextmanager
    def running(self) -> Iterator[dg.LoggerDefinition]:
        """Draw the bars while inside; yields the Dagster logger that feeds them."""
        with self.bars, listening(self.batches):
            yield _logger_for(self)
            self._complete_all()


class _Handler(logging.Handler):
    def __init__(self, live: LiveProgress) -> None:
        super().__init__(logging.DEBUG)
        self.live = live

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.live.event(record)
        except Exception:  # a display problem must never fail the run
            self.handleError(record)


def _logger_for(live: LiveProgress) -> dg.LoggerDefinition:
    @dg.logger(None, description="The command line's progress bars.")
    def progress_logger(_init: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.getLogger("trial_warehouse.progress")
        logger.setLevel(logging.DEBUG)
        logger.handlers = [_Handler(live)]
        logger.propagate = False
        return logger

    return progress_logger
