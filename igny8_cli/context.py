"""The global options, taken before or after any command, and the ``App`` every command works with.

``igny8-plugins --json status SLUG``, ``igny8-plugins status SLUG --json`` and
``igny8-plugins sites create NAME --url URL --json`` all mean what they say. Each global option is
declared once, in ``_global_options``; ``Command`` and ``Group`` give a copy to every command and
group of the tree, and its callback records the value in the one ``App`` of the run. Nothing is
built from them (output mode, target) until a command first asks, which is after the whole
command line has been read.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from igny8_cli.errors import CliError

if TYPE_CHECKING:
    from igny8_cli.config import Target
    from igny8_cli.output import Output

#: How explicit a value is (lower wins): typed on the command line, then from the environment,
#: then a default. Between two equally explicit values the later one, i.e. the innermost, wins.
_RANK = {ParameterSource.COMMANDLINE: 0, ParameterSource.ENVIRONMENT: 1}
_DEFAULT_RANK = 2


class App:
    """The global options of one run, and what is built from them on first use."""

    def __init__(self) -> None:
        self._given: dict[str, tuple[int, Any]] = {}

    def give(self, name: str, value: Any, source: ParameterSource | None) -> None:
        rank = _DEFAULT_RANK if source is None else _RANK.get(source, _DEFAULT_RANK)
        held = self._given.get(name)
        if held is None or rank <= held[0]:
            self._given[name] = (rank, value)

    def _value(self, name: str) -> Any:
        return self._given.get(name, (_DEFAULT_RANK, None))[1]

    # Output (rich) and the target (requests) are imported on first use, not by every module that
    # declares a command: `--help` and a usage error need neither.
    @cached_property
    def out(self) -> Output:
        from igny8_cli.output import Output  # noqa: PLC0415

        return Output(bool(self._value("as_json")))

    @cached_property
    def target(self) -> Target:
        from igny8_cli.config import resolve_target  # noqa: PLC0415

        return resolve_target(
            api_url=self._value("api_url"),
            admin_api_url=self._value("admin_api_url"),
            s3_endpoint=self._value("s3_endpoint"),
            bucket=self._value("bucket"),
            region=self._value("region"),
            auth=self._value("auth"),
            token_file=self._value("token_file"),
        )


def app_of(ctx: click.Context) -> App:
    """The run's one ``App``, kept by the outermost context (inner contexts inherit it as ``obj``)."""
    root = ctx.find_root()
    if not isinstance(root.obj, App):
        root.obj = App()
    return root.obj


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if param.name is not None:
        app_of(ctx).give(param.name, value, ctx.get_parameter_source(param.name))
    return value


def _global(*decls: str, **attrs: Any) -> click.Option:
    # Eager: recorded before the command's other parameters are checked, so that a usage error
    # in them is already reported under the --json given further along the line.
    return click.Option(list(decls), expose_value=False, is_eager=True, callback=_remember, **attrs)


def _global_options() -> list[click.Option]:
    """The options every command and group takes: new objects each time (click owns them per command)."""
    return [
        _global(
            "--api",
            "api_url",
            envvar="IGNY8_API_URL",
            metavar="URL",
            help="The service's base, e.g. https://api.igny8.com/api (the admin API's too, unless --admin-api).",
        ),
        _global(
            "--admin-api",
            "admin_api_url",
            envvar="IGNY8_ADMIN_API_URL",
            metavar="URL",
            help="The admin API's base when deployed apart from --api's (its own REST API), e.g. .../api.",
        ),
        _global("--s3-endpoint", metavar="URL", help="S3 endpoint (the local stack's moto server)."),
        _global("--bucket", metavar="NAME", help="Artifacts bucket that receives sources/."),
        _global("--region", metavar="REGION", help="AWS region."),
        _global(
            "--auth",
            type=click.Choice(["token", "iam"]),
            help="Admin auth [default: token if set, else iam].",
        ),
        _global(
            "--token-file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Admin token file.",
        ),
        _global("--json", "as_json", is_flag=True, help="Print exactly one JSON document on stdout."),
    ]


#: The names the global options store under, e.g. for tests walking the command tree.
GLOBAL_OPTION_NAMES = frozenset(str(option.name) for option in _global_options())


class _TakesGlobalOptions(click.Command):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_global_options())


class Command(_TakesGlobalOptions):
    """A command that also takes every global option, listed after its own."""


class Group(_TakesGlobalOptions, click.Group):
    """A group whose commands and subgroups take the global options too, and that reports every
    ``CliError`` (and, under --json, usage errors) in the chosen output format."""

    command_class = Command
    group_class = type

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CliError as error:
            app_of(ctx).out.error(error)
            ctx.exit(1)
        except click.UsageError as error:
            out = app_of(ctx).out
            if not out.as_json:
                raise
            out.error(CliError("usage", error.format_message()))
            ctx.exit(error.exit_code)
