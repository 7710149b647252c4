"""The per-plugin release index: one bounded entry per version the hot path can still serve.

check-update, info, download, signature and latest used to read every version item of a plugin, whole
(readme sections, changelogs), on every request, so a check cost more with every release the plugin
ever had. The index lives on the plugin item (``Plugin.releases``) and the repository rewrites a
version's entry in the same transaction as the version itself (``Repository.save_version``), so
every path that changes a version (releases, retention, the packager) keeps it, and it can never
disagree with the versions. ``info`` reads one version item more: the one it describes (its readme).

What it holds, per version (``entry``):

* offered versions (released, update_ready) and deprecated ones whose package is kept: in full,
  all that check-update, download and latest answer;
* pulled versions, and deprecated ones whose package expires (retention) that forced an update:
  slim, what the decision needs (status, channel, force flag);
* nothing for drafts, testing, staged, pending, failed and other expiring deprecated versions: no
  site is offered them. The two rare questions about such a version (a download pinned to it, and
  whether a site with no update runs a version we know) read that one version item by its key.

So the index grows with the versions a plugin still offers, which retention keeps few, not with its
history; ``bench/hotpath_bench.py`` measures it.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.logic.model import OFFERED, PluginVersion, Status
from chalicelib.logic.ports import Repository
from chalicelib.logic.readme import version_entry
from chalicelib.logic.readme_html import plain_text
from chalicelib.logic.release import Release

#: Looks one version up when the index holds no full entry for it (None: no such version).
Lookup = Callable[[str], Release | None]


def upgrade_notice(version: PluginVersion) -> str:
    """This version's paragraph of readme.txt's ``== Upgrade Notice ==`` (``= 1.2.0 =`` headings),
    as text: WordPress shows it in a line of its own."""
    return plain_text(version_entry(version.sections.get("upgrade_notice", ""), version.version))


def full(version: PluginVersion) -> Release:
    """Everything the hot path answers about ``version``."""
    return Release(
        version=version.version,
        status=version.status,
        channel=version.channel,
        rollout_percent=version.rollout_percent,
        offer_above=version.offer_above,
        force_update=version.force_update,
        requires=version.requires,
        tested=version.tested,
        requires_php=version.requires_php,
        file_path=version.file_path,
        file_size=version.file_size,
        sha256=version.sha256,
        sha384=version.sha384,
        signature=version.signature,
        signature_key_id=version.signature_key_id,
        main_file=version.main_file,
        plugin_uri=version.plugin_uri,
        plugin_name=version.plugin_name,
        changelog=version.changelog,
        upgrade_notice=upgrade_notice(version),
        released_at=version.released_at,
        package_expires_at=version.package_expires_at,
        halted=version.halted,
    )


def entry(version: PluginVersion) -> Release | None:
    """The index entry ``version`` gets (None: none, see the module's rules)."""
    kept = version.status is Status.DEPRECATED and version.package_expires_at is None
    if version.status in OFFERED or kept:
        return full(version)
    if version.status is Status.PULLED or (version.status is Status.DEPRECATED and version.force_update):
        return Release(
            version=version.version,
            status=version.status,
            channel=version.channel,
            complete=False,
            force_update=version.force_update,
            package_expires_at=version.package_expires_at,
        )
    return None


def index_of(versions: list[PluginVersion]) -> dict[str, Release]:
    """The index these versions give: what the stored one must always equal."""
    return {v.version: made for v in versions if (made := entry(v)) is not None}


def lookup(repo: Repository, slug: str) -> Lookup:
    """Reads one version the index leaves out, by its key (one GetItem, whatever the history)."""

    def find(version: str) -> Release | None:
        found = repo.get_version(slug, version)
        return None if found is None else full(found)

    return find
