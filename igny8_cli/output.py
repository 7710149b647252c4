"""The one place that writes to the terminal.

Under ``--json`` stdout must hold exactly one JSON document (the result or the error) so that
scripts can pipe it into ``jq``; everything meant for people (notes, progress bars, tables) is
therefore routed through here and dropped in that mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from igny8_cli.errors import CliError

Render = Callable[[Console], None]


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        # Built per invocation so that rich binds to the stdout/stderr of that run (tests swap them).
        self._console = Console(highlight=False)
        self._errors = Console(stderr=True, highlight=False)

    def result(self, document: Mapping[str, Any], render: Render | None = None) -> None:
        """Emit a command's outcome; ``render`` may be omitted when the notes already told it all."""
        if self.as_json:
            click.echo(json.dumps(document, indent=2))
        elif render is not None:
            render(self._console)

    def note(self, message: str) -> None:
        # markup=False: paths, keys and server messages may contain "[...]", which rich would eat.
        if not self.as_json:
            self._console.print(message, markup=False, soft_wrap=True)

    def error(self, error: CliError) -> None:
        if self.as_json:
            click.echo(json.dumps(error.as_json(), indent=2))
        else:
            self._errors.print(f"error: {error.message} ({error.code})", markup=False, soft_wrap=True)

    @contextmanager
    def transfer(self, description: str, total: int) -> Iterator[Callable[[int], None] | None]:
        """Yield a byte-count callback that drives a progress bar, or None when nobody watches."""
        if self.as_json:
            yield None
            return
        with Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=self._console,
        ) as progress:
            task = progress.add_task(description, total=total)
            yield lambda sent: progress.advance(task, sent)
