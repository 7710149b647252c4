"""The service's nouns: each stored record declared once, in this package, and everything else
derived from it. ``logic/vocabulary`` holds the statuses, platforms and channels and their checks,
``base`` what every record shares (configuration, timestamp types), and ``plugins``, ``sites`` and
``audit`` the records; every name is importable from here.

A record is a pydantic dataclass, except the release index's entry (``logic/release.py``: the
check-update fast path reads it without pydantic, and no answer or request shows it). From this
one declaration come the DynamoDB items (``chalicelib.dal.models`` derives each table's attributes
from the fields), the API's JSON (``chalicelib.api.views`` dumps the record: ``Field(exclude=True)`` marks what no answer shows, the
``Moment`` type writes ``iso`` timestamps) and that JSON's schema (the OpenAPI document's).
Adding a field is one edit to its record, plus a migration note below when items already stored lack it
(they read back with the field's default).

Why pydantic dataclasses rather than ``BaseModel``: the domain builds records positionally
(``AuditEntry(slug, now, actor, ...)``), mutates them (``version.status = ...``, no validation on
assignment), and copies them with ``dataclasses.replace``, ``dataclasses.fields`` and ``deepcopy``
(the releases, sites and the fake repository). Pydantic dataclasses keep all of that unchanged and
still validate on construction, dump, and give JSON schemas. The cost, measured by
``bench/records_bench.py`` (``bench/RESULTS.md``, 2026-11-29, CPU time on a loaded 2-CPU machine):
a cold start imports these records in 256 ms against 45 ms as stdlib dataclasses, but 140 ms of the
difference is importing pydantic, which the request bodies need anyway, and about 60 ms pydantic's
plugin discovery (``PYDANTIC_DISABLE_PLUGINS=__all__`` removes it); a read pays 20 us more per
record (0.9 ms for 42 versions, beside the query itself). For one declaration that the table, the
answers and the OpenAPI schemas all follow, that is a price worth paying; ``defer_build`` moves each
record's build to its first use, so a function builds only the records its requests touch.

Migration notes (items already stored):
- ``min_api_version`` (was carried everywhere, never set nor served) is gone from the record: stored
  items keep the attribute; it is ignored on read.
- ``Plugin.releases`` (the release index) is new: a plugin stored before it has a ``latest`` pointer
  and no index; ``DynamoRepository`` builds the index from its versions on the first read and saves
  it (``Repository.reindex(slug)`` rebuilds one on demand).
- ``PluginVersion.rollout``, ``Installation.funnel`` and ``Release.halted`` (the rollout guard) are
  new: items stored before them read back as no plan, nothing counted yet, not halted.
- ``rollout_percent`` and ``RolloutPlan.steps`` take hundredths (``percent``): items stored with
  whole percentages read back unchanged (a whole percentage stays an ``int``).
- ``PluginVersion.sha256`` is stored under the attribute name ``checksum`` (the seed's), so existing
  items read back; the API shows both names.
"""

from chalicelib.logic.model.audit import AuditEntry
from chalicelib.logic.model.base import EmptyIsNull, Moment, Percentage, PreciseMoment
from chalicelib.logic.model.plugins import (
    ROLLOUT_STATES,
    Failure,
    Plugin,
    PluginVersion,
    RolloutPlan,
)
from chalicelib.logic.model.sites import Installation, Site
from chalicelib.logic.moments import iso, iso_precise
from chalicelib.logic.percent import hundredths, normalized, of_hundredths
from chalicelib.logic.release import Release
from chalicelib.logic.vocabulary import (
    CHANNELS,
    DEFAULT_CHANNEL,
    DOWNLOADABLE,
    INITIAL,
    OFFERED,
    REPLACEABLE,
    SITE_ID_RE,
    Platform,
    Status,
    check_channel,
    check_platform,
    check_slug,
    check_version,
)

__all__ = [
    "CHANNELS",
    "DEFAULT_CHANNEL",
    "DOWNLOADABLE",
    "INITIAL",
    "OFFERED",
    "REPLACEABLE",
    "ROLLOUT_STATES",
    "SITE_ID_RE",
    "AuditEntry",
    "EmptyIsNull",
    "Failure",
    "Installation",
    "Moment",
    "Percentage",
    "Platform",
    "Plugin",
    "PluginVersion",
    "PreciseMoment",
    "Release",
    "RolloutPlan",
    "Site",
    "Status",
    "check_channel",
    "check_platform",
    "check_slug",
    "check_version",
    "hundredths",
    "iso",
    "iso_precise",
    "normalized",
    "of_hundredths",
]
