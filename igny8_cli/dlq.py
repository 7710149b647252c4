"""``dlq list|retry|drop``: the uploads whose packager messages rest in the dead-letter queue.

A message lands there after the packager failed on every delivery with a fault that could pass
(an AWS outage, a bug, a version held by another upload): refusals are recorded and never
retried. Once the cause is fixed, ``retry`` hands the message back to the packager, which
finishes or records the upload; ``drop`` forgets it (the source object stays in the bucket).

The queues are found like the API: ``--dlq-url``/``--queue-url`` (or their environment
variables), else the outputs of the stage's CloudFormation stack (``--stage``), else the local
stack file that ``make run`` writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import click
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from chalicelib.logic.uploads import uploads
from igny8_cli import render
from igny8_cli.context import App, Group
from igny8_cli.errors import CliError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

#: Seconds a listed message stays hidden from other readers while this command holds it.
_HOLD_SECONDS = 30
_OUTPUT_DLQ, _OUTPUT_QUEUE = "PackagerDeadLetterQueueUrl", "PackagerQueueUrl"


@dataclass(frozen=True)
class Queues:
    sqs: SQSClient
    dead_letters: str
    packager: str


@dataclass(frozen=True)
class Held:
    """One dead letter, received and hidden until this command returns it or acts on it."""

    message: MessageTypeDef

    @property
    def id(self) -> str:
        return str(self.message["MessageId"])

    def as_json(self) -> dict[str, Any]:
        """The message's uploads (an S3 notification names one; a test event none)."""
        attributes = self.message.get("Attributes", {})
        try:
            found = list(uploads(self.message.get("Body", "")))
        except (ValueError, KeyError, AttributeError):
            found = []
        sent = attributes.get("SentTimestamp")
        return {
            "id": self.id,
            "uploads": [
                {
                    "key": u.key,
                    "version_id": u.version_id,
                    "uploaded_at": u.event_time.isoformat() if u.event_time else None,
                }
                for u in found
            ],
            "receive_count": int(attributes.get("ApproximateReceiveCount", "0")),
            "sent_at": datetime.fromtimestamp(int(sent) / 1000, UTC).isoformat() if sent else None,
        }


def find_queues(app: App, *, dlq_url: str | None, queue_url: str | None, stage: str | None) -> Queues:
    target = app.target
    outputs: dict[str, str] = {}
    if stage is not None and not (dlq_url and queue_url):
        # Imported only for --stage: infra.stack brings boto3 into every command's --help.
        from infra.stack import stack_outputs  # noqa: PLC0415

        try:
            outputs = stack_outputs(stage, target.session(), endpoint_url=target.s3_endpoint)
        except (BotoCoreError, ClientError) as exc:
            raise CliError("no_stack", f"cannot read the outputs of stage {stage!r}: {exc}") from exc
    dead_letters = dlq_url or outputs.get(_OUTPUT_DLQ) or target.dead_letter_queue_url
    packager = queue_url or outputs.get(_OUTPUT_QUEUE) or target.queue_url
    if not dead_letters or not packager:
        raise CliError(
            "no_queue",
            "no dead-letter queue: pass --stage, or --dlq-url and --queue-url, or start the local "
            "stack (`make run`)",
        )
    return Queues(target.sqs(), dead_letters, packager)


@contextmanager
def held(queues: Queues) -> Iterator[list[Held]]:
    """Every message of the dead-letter queue, hidden while the caller looks at them; whatever
    the caller did not delete becomes visible again at once."""
    found: dict[str, Held] = {}
    try:
        while True:
            batch = queues.sqs.receive_message(
                QueueUrl=queues.dead_letters,
                MaxNumberOfMessages=10,
                VisibilityTimeout=_HOLD_SECONDS,
                AttributeNames=["All"],
            ).get("Messages", [])
            fresh = [Held(m) for m in batch if m["MessageId"] not in found]
            if not fresh:
                break
            found.update((h.id, h) for h in fresh)
        yield list(found.values())
    except (BotoCoreError, ClientError) as exc:
        raise CliError("sqs_failed", f"the dead-letter queue {queues.dead_letters} failed: {exc}") from exc
    finally:
        for message in found.values():
            _release(queues, message)


def _release(queues: Queues, message: Held) -> None:
    with suppress(ClientError):  # already deleted (retried or dropped): nothing to give back
        queues.sqs.change_message_visibility(
            QueueUrl=queues.dead_letters, ReceiptHandle=message.message["ReceiptHandle"], VisibilityTimeout=0
        )


def choose(messages: Sequence[Held], ids: Sequence[str], every: bool) -> list[Held]:
    """The messages named (all of them with ``--all``); an unknown id is refused before any change."""
    if every == bool(ids):
        raise CliError("usage", "name the messages (their ids, from `dlq list`) or pass --all, not both")
    if every:
        return list(messages)
    by_id = {m.id: m for m in messages}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise CliError("not_found", f"not in the dead-letter queue: {', '.join(missing)}")
    return [by_id[i] for i in dict.fromkeys(ids)]


def retry(queues: Queues, message: Held) -> None:
    """Back to the packager's queue as it was (same body), then out of the dead-letter queue."""
    queues.sqs.send_message(QueueUrl=queues.packager, MessageBody=message.message["Body"])
    drop(queues, message)


def drop(queues: Queues, message: Held) -> None:
    queues.sqs.delete_message(QueueUrl=queues.dead_letters, ReceiptHandle=message.message["ReceiptHandle"])


# -- the commands -------------------------------------------------------------------------------


@click.group(cls=Group)
def dlq() -> None:
    """Uploads the packager gave up on: list them, send them back to it, or drop them."""


def _where(command: Any) -> Any:
    """The options that name the queues, on every dlq command (given before or after its arguments)."""
    options = [
        click.option("--dlq-url", envvar="IGNY8_DLQ_URL", metavar="URL", help="The dead-letter queue's URL."),
        click.option(
            "--queue-url", envvar="IGNY8_PACKAGER_QUEUE_URL", metavar="URL", help="The packager queue's URL."
        ),
        click.option("--stage", help="Read both URLs from the outputs of this deployed stage, e.g. dev."),
    ]
    for option in options:
        command = option(command)
    return command


_ids = click.argument("ids", nargs=-1, metavar="[ID]...")
_every = click.option("--all", "every", is_flag=True, help="Every message in the dead-letter queue.")


@dlq.command("list")
@_where
@click.pass_obj
def list_messages(app: App, /, **where: str | None) -> None:
    """Each message's upload (key, S3 version, time) and how often the packager received it."""
    queues = find_queues(app, **where)
    with held(queues) as messages:
        documents = [m.as_json() for m in messages]
    app.out.result({"queue_url": queues.dead_letters, "messages": documents}, partial(_table, documents))


@dlq.command("retry")
@_ids
@_every
@_where
@click.pass_obj
def retry_messages(app: App, /, *, ids: tuple[str, ...], every: bool, **where: str | None) -> None:
    """Send messages back to the packager's queue (once the fault is fixed)."""
    _act(find_queues(app, **where), app, ids, every, action=retry, done="retried")


@dlq.command("drop")
@_ids
@_every
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@_where
@click.pass_obj
def drop_messages(app: App, /, *, ids: tuple[str, ...], every: bool, yes: bool, **where: str | None) -> None:
    """Delete messages for good (their source objects stay in the bucket)."""
    confirm = not (yes or app.out.as_json)
    _act(find_queues(app, **where), app, ids, every, action=drop, done="dropped", confirm=confirm)


def _act(
    queues: Queues,
    app: App,
    ids: Sequence[str],
    every: bool,
    *,
    action: Any,
    done: str,
    confirm: bool = False,
) -> None:
    with held(queues) as messages:
        chosen = choose(messages, ids, every)
        if confirm and chosen:
            click.confirm(f"Drop {len(chosen)} message(s) for good?", abort=True)
        try:
            for message in chosen:
                action(queues, message)
        except (BotoCoreError, ClientError) as exc:
            raise CliError("sqs_failed", f"{done} stopped at a failure: {exc}") from exc
        documents = [m.as_json() for m in chosen]
    app.out.result({done: documents}, partial(_table, documents, title=f"{done}: {len(documents)}"))


def _table(documents: Sequence[dict[str, Any]], console: Console, *, title: str | None = None) -> None:
    if title is not None:
        render.line(console, title)
    if not documents:
        render.line(console, "the dead-letter queue is empty" if title is None else "nothing")
        return
    rows = [
        (d["id"], u["key"], u["version_id"], u["uploaded_at"], d["receive_count"], d["sent_at"])
        for d in documents
        for u in d["uploads"] or [{"key": None, "version_id": None, "uploaded_at": None}]
    ]
    headers = ["id", "key", "S3 version", "uploaded", "receives", "queued"]
    console.print(render.table(headers, rows, wrap=("key", "S3 version", "uploaded", "queued")))
