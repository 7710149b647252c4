"""What WordPress sites are told: update offers, the "View details" modal and downloads."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.logic.checks import check_update as check_entries
from chalicelib.logic.checks import parse_current_version, site_request
from chalicelib.logic.decision import SiteRequest, choose_download, decide
from chalicelib.logic.errors import Gone, InvalidInput, NotFound
from chalicelib.logic.info import info_version, plugin_info
from chalicelib.logic.inputs import parse
from chalicelib.logic.links import Links
from chalicelib.logic.model import Platform, Plugin, PluginVersion, Status
from chalicelib.logic.release_index import full, upgrade_notice
from chalicelib.logic.rollout import admits
from chalicelib.logic.site_inputs import CheckUpdateQuery
from chalicelib.logic.updates import latest_for_platform
from chalicelib.logic.visibility import hidden_from_sites, unknown_plugin
from tests.unit.fakes import FakeRepository

SLUG = "igny8-wp-bridge"
NOW = datetime(2024, 5, 6, 15, 4, 5, tzinfo=UTC)
LINKS = Links("https://plugins.test/api")
SALT = "9c1f0e7a2b3d4c5e"


def check_update(
    plugin: Plugin, versions: list[PluginVersion], site: SiteRequest, links: Links
) -> dict[str, Any]:
    """check-update's answer for these whole versions, through their release index entries."""
    return check_entries(plugin, [full(v) for v in versions], site, links)


NEVER_OFFERED = [Status.DRAFT, Status.TESTING, Status.STAGED, Status.DEPRECATED, Status.PULLED, Status.FAILED]


def make_plugin(slug: str = SLUG, **fields: Any) -> Plugin:
    defaults: dict[str, Any] = {
        "name": "IGNY8 WordPress Bridge",
        "platform": Platform.WORDPRESS,
        "created_at": NOW - timedelta(days=30),
        "updated_at": NOW,
        "rollout_salt": SALT,
    }
    return Plugin(slug=slug, **{**defaults, **fields})


def make_version(
    version: str, status: Status = Status.RELEASED, slug: str = SLUG, **fields: Any
) -> PluginVersion:
    released = status in (Status.RELEASED, Status.UPDATE_READY, Status.DEPRECATED, Status.PULLED)
    defaults: dict[str, Any] = {
        "created_at": NOW - timedelta(days=1),
        "released_at": NOW if released else None,
        "file_path": f"packages/wordpress/{slug}/{slug}-v{version}.zip",
        "file_size": 12345,
        "sha256": hashlib.sha256(version.encode()).hexdigest(),
        "main_file": f"{slug}.php",
        "plugin_name": "IGNY8 WordPress Bridge",
        "requires": "5.8",
        "tested": "6.6",
        "requires_php": "7.4",
        "changelog": f"= {version} =\n* Changes of {version}.",
    }
    return PluginVersion(slug=slug, version=version, status=status, **{**defaults, **fields})


def stored(*versions: PluginVersion) -> list[PluginVersion]:
    """The versions as the repository hands them to the domain: newest first, in PHP order."""
    repo = FakeRepository()
    for version in versions:
        repo.put_version(version)
    return repo.versions(versions[0].slug if versions else SLUG)


def info_of(plugin: Plugin, versions: list[PluginVersion], site_id: str | None = None) -> dict[str, Any]:
    """The info answer as the route makes it: the plugin stored with these versions (its release
    index follows), the version chosen from the index, then read whole."""
    repo = FakeRepository()
    repo.save_plugin(copy.deepcopy(plugin))
    for version in versions:
        repo.put_version(version)
    indexed = repo.get_plugin(plugin.slug)
    assert indexed is not None
    whole = repo.get_version(plugin.slug, info_version(indexed, site_id).version)
    assert whole is not None
    return plugin_info(indexed, whole, LINKS)


def site(current: str, **fields: Any) -> SiteRequest:
    return SiteRequest(current=current, **fields)


def download(version: str) -> str:
    return f"https://plugins.test/api/plugins/{SLUG}/download/?version={version}"


# --- check-update ----------------------------------------------------------------------------------


def test_offers_the_highest_released_version() -> None:
    versions = stored(
        make_version("1.0.0"),
        make_version("1.1.0", Status.UPDATE_READY),
        make_version("1.2.0"),
        make_version("1.3.0", Status.DRAFT),
    )

    answer = check_update(make_plugin(), versions, site("1.0.0"), LINKS)

    assert answer["update_available"] is True
    assert answer["latest_version"] == "1.2.0"
    assert answer["download_url"] == download("1.2.0")
    assert answer["update"]["package"] == download("1.2.0")
    assert answer["update"]["new_version"] == "1.2.0"
    assert answer["changelog"] == "= 1.2.0 =\n* Changes of 1.2.0."
    assert answer["sha256"] == answer["checksum"] == hashlib.sha256(b"1.2.0").hexdigest()
    assert answer["file_size"] == 12345
    assert (answer["requires"], answer["tested"], answer["requires_php"]) == ("5.8", "6.6", "7.4")
    assert answer["released_at"] == "2024-05-06T15:04:05Z"
    assert answer["info_url"] == f"https://plugins.test/api/plugins/{SLUG}/info/"


def test_update_ready_versions_are_offered() -> None:
    versions = stored(make_version("1.0.0"), make_version("1.1.0", Status.UPDATE_READY))

    answer = check_update(make_plugin(), versions, site("1.0.0"), LINKS)

    assert (answer["update_available"], answer["latest_version"]) == (True, "1.1.0")


@pytest.mark.parametrize("status", NEVER_OFFERED, ids=str)
def test_versions_that_are_not_released_are_never_offered(status: Status) -> None:
    versions = stored(make_version("1.0.0"), make_version("2.0.0", status, force_update=True))

    answer = check_update(make_plugin(), versions, site("1.0.0"), LINKS)

    assert answer["update_available"] is False
    assert answer["reason"] == ("pulled" if status is Status.PULLED else "up_to_date")
    assert answer["latest_version"] == "1.0.0"
    assert answer["force_update"] is False


def test_beta_channel_releases_are_not_offered_on_stable() -> None:
    versions = stored(make_version("1.0.0"), make_version("1.1.0-beta1", channel="beta"))

    answer = check_update(make_plugin(), versions, site("1.0.0"), LINKS)

    assert (answer["update_available"], answer["latest_version"]) == (False, "1.0.0")


@pytest.mark.parametrize(
    ("current", "reason"),
    [
        pytest.param("1.2.0", "up_to_date", id="on-the-latest"),
        pytest.param("1.2.1", "unknown_version", id="never-published-1.2.1"),
        pytest.param("2.0.0", "unknown_version", id="never-published-2.0.0"),
        pytest.param("1.2.0.1", "unknown_version", id="never-published-1.2.0.1"),
    ],
)
def test_a_site_at_or_above_the_latest_release_gets_no_update(current: str, reason: str) -> None:
    versions = stored(make_version("1.1.0", force_update=True), make_version("1.2.0"))

    answer = check_update(make_plugin(), versions, site(current), LINKS)

    assert answer["update_available"] is False
    assert answer["reason"] == reason
    assert answer["force_update"] is False
    assert answer["current_version"] == current
    assert answer["update"]["new_version"] == "1.2.0"


def test_the_wordpress_update_item_is_sent_also_without_an_update() -> None:
    versions = stored(make_version("1.2.0"))

    item = check_update(make_plugin(), versions, site("1.2.0"), LINKS)["update"]

    assert item["slug"] == SLUG
    assert item["plugin"] == f"{SLUG}/{SLUG}.php"
    assert item["new_version"] == "1.2.0"
    assert item["package"] == download("1.2.0")
    assert (item["requires"], item["tested"], item["requires_php"]) == ("5.8", "6.6", "7.4")
    assert item["autoupdate"] is False
    assert {"icons", "banners", "upgrade_notice", "url", "id"} <= set(item)


def test_the_update_item_uses_the_plugins_real_main_file() -> None:
    versions = stored(make_version("1.2.0", main_file="bridge.php"))

    item = check_update(make_plugin(), versions, site("1.0.0"), LINKS)["update"]

    assert item["plugin"] == f"{SLUG}/bridge.php"


def test_nothing_released_yet() -> None:
    versions = stored(make_version("1.0.0", Status.DRAFT), make_version("0.9.0", Status.FAILED))

    answer = check_update(make_plugin(), versions, site("0.1.0"), LINKS)

    assert answer["update_available"] is False
    assert answer["reason"] == "no_release"
    assert answer["latest_version"] is None
    assert answer["force_update"] is False
    assert "download_url" not in answer


@pytest.mark.parametrize(
    ("current", "forced"),
    [
        pytest.param("1.0.0", True, id="forced-version-ahead-of-site"),
        pytest.param("1.0.9", True, id="just-below-the-forced-version"),
        pytest.param("1.1.0", False, id="site-already-on-the-forced-version"),
        pytest.param("1.1.5", False, id="site-past-the-forced-version"),
    ],
)
def test_force_update_when_any_version_between_current_and_offered_is_forced(
    current: str, forced: bool
) -> None:
    versions = stored(
        make_version("1.0.0"),
        make_version("1.1.0", force_update=True),
        make_version("1.2.0"),
    )

    answer = check_update(make_plugin(), versions, site(current), LINKS)

    assert answer["update_available"] is True
    assert answer["latest_version"] == "1.2.0"
    assert answer["force_update"] is forced
    assert answer["update"]["autoupdate"] is forced


def test_a_forced_release_later_deprecated_still_forces_sites_below_it() -> None:
    versions = stored(
        make_version("1.0.0"),
        make_version("1.1.0", Status.DEPRECATED, force_update=True),
        make_version("1.2.0"),
    )

    assert check_update(make_plugin(), versions, site("1.0.0"), LINKS)["force_update"] is True
    assert check_update(make_plugin(), versions, site("1.1.0"), LINKS)["force_update"] is False


def test_force_update_when_the_offered_version_itself_is_forced() -> None:
    versions = stored(make_version("1.0.0"), make_version("1.2.0", force_update=True))

    assert check_update(make_plugin(), versions, site("1.0.0"), LINKS)["force_update"] is True


@pytest.mark.parametrize("status", [Status.DRAFT, Status.PULLED, Status.FAILED], ids=str)
def test_a_forced_version_that_is_not_offered_forces_nothing(status: Status) -> None:
    versions = stored(
        make_version("1.0.0"), make_version("1.1.0", status, force_update=True), make_version("1.2.0")
    )

    answer = check_update(make_plugin(), versions, site("1.0.0"), LINKS)

    assert answer["update_available"] is True
    assert answer["force_update"] is False


@pytest.mark.parametrize(
    ("released", "current", "latest", "available"),
    [
        pytest.param(["1.9.0", "1.10.0"], "1.9.0", "1.10.0", True, id="1.10.0-beats-1.9.0"),
        pytest.param(["1.10.0", "1.9.0"], "1.10.0", "1.10.0", False, id="1.9.0-is-no-update-for-1.10.0"),
        pytest.param(["1.2.0-RC1", "1.2.0"], "1.2.0-RC1", "1.2.0", True, id="1.2.0-beats-1.2.0-RC1"),
        pytest.param(["1.2.0-beta1", "1.2.0-RC1"], "1.2.0-beta1", "1.2.0-RC1", True, id="RC-beats-beta"),
        pytest.param(["1.2.0"], "1.2.0-RC1", "1.2.0", True, id="final-beats-site-on-RC"),
        pytest.param(["1.2.0-RC1"], "1.2.0", "1.2.0-RC1", False, id="RC-is-no-update-for-final"),
        pytest.param(["2.0.0"], "10.0", "2.0.0", False, id="numeric-not-lexicographic"),
    ],
)
def test_versions_are_ordered_the_way_php_orders_them(
    released: list[str], current: str, latest: str, available: bool
) -> None:
    versions = stored(*(make_version(v) for v in released))

    answer = check_update(make_plugin(), versions, site(current), LINKS)

    assert answer["latest_version"] == latest
    assert answer["update_available"] is available


def test_download_links_survive_versions_with_special_characters() -> None:
    versions = stored(make_version("1.2.0+build.5"))

    answer = check_update(make_plugin(), versions, site("1.0.0"), LINKS)

    query = parse_qs(urlsplit(answer["download_url"]).query)
    assert query == {"version": ["1.2.0+build.5"]}
    assert answer["update"]["package"] == answer["download_url"]


# --- the decision: channels, rollout, requirements, pulls --------------------------------------------


def sites(percent: int, inside: bool, count: int = 1) -> list[str]:
    """Site ids that a ``percent`` rollout of this plugin admits (``inside``) or leaves out."""
    found = (f"site-{n}" for n in range(100_000))
    return [s for s in found if admits(percent, SALT, s) is inside][:count]


IN_10 = sites(10, inside=True)[0]
OUT_10 = sites(10, inside=False)[0]


def decision(versions: list[PluginVersion], current: str, **fields: Any) -> tuple[str | None, str]:
    offered, reason = decide(make_plugin(), versions, site(current, **fields))
    return (offered.version if offered else None), reason


@pytest.mark.parametrize(
    ("channel", "current", "final", "expected"),
    [
        pytest.param("stable", "1.0.0", True, "1.2.0", id="stable-sees-only-stable"),
        pytest.param("beta", "1.0.0", False, "2.0.0-beta1", id="beta-takes-the-higher-beta"),
        pytest.param("beta", "1.0.0", True, "2.0.0", id="beta-takes-the-higher-stable"),
        pytest.param("beta", "2.0.0-beta1", True, "2.0.0", id="beta-moves-on-to-the-final"),
    ],
)
def test_the_highest_release_on_the_sites_channels_wins(
    channel: str, current: str, final: bool, expected: str
) -> None:
    versions = stored(
        make_version("1.0.0"),
        make_version("1.2.0", Status.UPDATE_READY),
        make_version("2.0.0-beta1", channel="beta"),
        make_version("2.0.0", Status.RELEASED if final else Status.STAGED),
        make_version("2.1.0-beta1", Status.DRAFT, channel="beta"),
    )
    if channel == "stable":  # a stable site never sees the beta, so give it no final 2.0.0 either
        versions = [v for v in versions if v.version != "2.0.0"]

    assert decision(versions, current, channel=channel, site_id=IN_10) == (expected, "")


def test_a_site_defaults_to_the_stable_channel() -> None:
    versions = stored(make_version("1.0.0"), make_version("1.1.0-beta1", channel="beta"))

    request = site_request(CheckUpdateQuery(current_version="1.0.0"), site_id=None, user_agent=None)

    assert request.channel == "stable"
    assert decide(make_plugin(), versions, request) == (None, "up_to_date")


def partial_rollout() -> list[PluginVersion]:
    return stored(make_version("1.0.0"), make_version("1.1.0"), make_version("1.2.0", rollout_percent=10))


def test_a_site_inside_a_partial_rollout_gets_it() -> None:
    assert decision(partial_rollout(), "1.0.0", site_id=IN_10) == ("1.2.0", "")
    assert decision(partial_rollout(), "1.1.0", site_id=IN_10) == ("1.2.0", "")


def test_a_site_outside_a_partial_rollout_gets_the_previous_release_or_waits() -> None:
    assert decision(partial_rollout(), "1.0.0", site_id=OUT_10) == ("1.1.0", "")
    assert decision(partial_rollout(), "1.1.0", site_id=OUT_10) == (None, "not_in_rollout")


def test_a_partial_rollout_reaches_about_its_share_of_sites() -> None:
    versions = partial_rollout()
    plugin = make_plugin()
    offered = sum(
        decide(plugin, versions, SiteRequest("1.1.0", site_id=f"site-{n}"))[0] is not None
        for n in range(5_000)
    )

    assert 400 <= offered <= 600


def test_a_site_outside_the_rollout_is_not_pointed_at_the_held_back_version() -> None:
    """The bundled bridge (class-igny8-bridge.php) installs whatever latest_version/download_url
    say, and WordPress installs update["package"] if new_version is above the installed one."""
    answer = check_update(make_plugin(), partial_rollout(), site("1.1.0", site_id=OUT_10), LINKS)

    assert (answer["update_available"], answer["reason"]) == (False, "not_in_rollout")
    assert answer["latest_version"] != "1.2.0"
    assert "download_url" not in answer  # no package named at all without an offer
    assert answer["update"]["new_version"] != "1.2.0"


def test_anonymous_sites_only_get_full_rollouts() -> None:
    assert decision(partial_rollout(), "1.0.0") == ("1.1.0", "")
    assert decision(partial_rollout(), "1.1.0") == (None, "not_in_rollout")
    full = stored(make_version("1.0.0"), make_version("1.2.0"))
    assert decision(full, "1.0.0") == ("1.2.0", "")


def test_a_zero_percent_rollout_reaches_nobody() -> None:
    versions = stored(make_version("1.0.0"), make_version("1.2.0", rollout_percent=0))

    assert all(
        decision(versions, "1.0.0", site_id=s) == (None, "not_in_rollout") for s in sites(0, False, 50)
    )


@pytest.mark.parametrize(
    ("wp_version", "php_version", "expected"),
    [
        pytest.param("6.5.2", "8.2", ("1.2.0", ""), id="fits-the-newest"),
        pytest.param("6.2", "8.2", ("1.1.0", ""), id="old-wp-gets-the-next-that-fits"),
        pytest.param("6.5", "7.4", ("1.1.0", ""), id="old-php-gets-the-next-that-fits"),
        pytest.param(None, None, ("1.2.0", ""), id="unknown-environment-is-not-held-back"),
    ],
)
def test_requirements_skip_versions_the_site_cannot_run(
    wp_version: str | None, php_version: str | None, expected: tuple[str | None, str]
) -> None:
    versions = stored(
        make_version("1.0.0"),
        make_version("1.1.0", requires="6.0", requires_php="7.4"),
        make_version("1.2.0", requires="6.5", requires_php="8.1"),
    )

    assert decision(versions, "1.0.0", wp_version=wp_version, php_version=php_version) == expected


@pytest.mark.parametrize(
    ("wp_version", "php_version", "reason"),
    [("6.4.3", "8.2", "requires_wp"), ("6.5", "8.0.30", "requires_php")],
)
def test_a_site_that_cannot_run_the_update_is_told_why(
    wp_version: str, php_version: str, reason: str
) -> None:
    versions = stored(make_version("1.1.0"), make_version("1.2.0", requires="6.5", requires_php="8.1"))

    assert decision(versions, "1.1.0", wp_version=wp_version, php_version=php_version) == (None, reason)


def test_a_pulled_version_above_the_site_is_never_offered() -> None:
    versions = stored(make_version("1.0.0"), make_version("1.1.0"), make_version("1.2.0", Status.PULLED))

    assert decision(versions, "1.1.0") == (None, "pulled")
    assert decision(versions, "1.0.0") == ("1.1.0", "")


def test_a_site_on_a_pulled_version_is_told_so() -> None:
    versions = stored(make_version("1.0.0"), make_version("1.1.0", Status.PULLED))

    assert decision(versions, "1.1.0") == (None, "pulled")


def test_a_site_on_a_pulled_version_gets_the_next_release() -> None:
    versions = stored(make_version("1.1.0", Status.PULLED), make_version("1.1.1"))

    assert decision(versions, "1.1.0") == ("1.1.1", "")


def test_a_site_on_a_version_never_published() -> None:
    versions = stored(make_version("1.0.0"), make_version("1.1.0"))

    assert decision(versions, "1.0.5") == ("1.1.0", "")
    assert decision(versions, "1.1.5") == (None, "unknown_version")


def test_nothing_offered_at_all() -> None:
    versions = stored(make_version("1.0.0", Status.STAGED))

    assert decision(versions, "0.9.0") == (None, "no_release")
    assert decision([], "0.9.0") == (None, "no_release")


def test_offer_above_keeps_a_rollback_from_sites_already_on_its_code() -> None:
    versions = stored(
        make_version("1.0.0"),
        make_version("1.1.0"),
        make_version("1.2.0"),
        make_version("1.2.1", rollback_of="1.1.0", offer_above="1.1.0"),
    )

    assert decision(versions, "1.2.0") == ("1.2.1", "")
    assert decision(versions, "1.1.0") == ("1.2.0", "")
    assert decision(versions, "1.0.0") == ("1.2.0", "")


def test_a_beta_site_up_to_date_on_a_beta_only_plugin() -> None:
    """Once something is released the site gets the update item (WordPress' auto-update toggle)."""
    versions = stored(make_version("2.0.0-beta1", channel="beta"))

    answer = check_update(make_plugin(), versions, site("2.0.0-beta1", channel="beta"), LINKS)

    assert (answer["update_available"], answer["reason"]) == (False, "up_to_date")
    assert answer["latest_version"] == "2.0.0-beta1"
    assert answer["update"]["new_version"] == "2.0.0-beta1"


def test_a_beta_site_is_told_the_latest_on_its_channels() -> None:
    versions = stored(make_version("1.2.0"), make_version("2.0.0-beta1", channel="beta"))

    answer = check_update(make_plugin(), versions, site("2.0.0-beta1", channel="beta"), LINKS)

    assert (answer["update_available"], answer["reason"]) == (False, "up_to_date")
    assert answer["latest_version"] == "2.0.0-beta1"
    assert answer["update"]["new_version"] == "2.0.0-beta1"


def test_a_beta_site_is_offered_and_forced_by_beta_releases() -> None:
    versions = stored(
        make_version("1.2.0"),
        make_version("2.0.0-beta1", channel="beta", force_update=True),
        make_version("2.0.0-beta2", channel="beta"),
    )

    beta = check_update(make_plugin(), versions, site("1.2.0", channel="beta"), LINKS)
    stable = check_update(make_plugin(), versions, site("1.2.0"), LINKS)

    assert (beta["update_available"], beta["latest_version"], beta["force_update"]) == (
        True,
        "2.0.0-beta2",
        True,
    )
    assert beta["update"]["autoupdate"] is True
    assert (stable["update_available"], stable["latest_version"], stable["force_update"]) == (
        False,
        "1.2.0",
        False,
    )


def test_a_forced_version_above_the_offer_forces_nothing() -> None:
    versions = stored(
        make_version("1.0.0"),
        make_version("1.1.0"),
        make_version("1.2.0", rollout_percent=10, force_update=True),
    )

    answer = check_update(make_plugin(), versions, site("1.0.0", site_id=OUT_10), LINKS)

    assert (answer["update_available"], answer["latest_version"], answer["force_update"]) == (
        True,
        "1.1.0",
        False,
    )


# --- site_request: what a site sends ---------------------------------------------------------------


def request(
    *, current: str | None = "1.0.0", site_id: str | None = None, user_agent: str | None = None, **query: Any
) -> SiteRequest:
    """What check-update makes of a site's query string and headers."""
    params = {"current_version": current, **query}
    parsed = parse(CheckUpdateQuery, {k: v for k, v in params.items() if v is not None}, "query")
    return site_request(parsed, site_id=site_id, user_agent=user_agent)


def test_a_full_site_request() -> None:
    assert request(
        current=" 1.2.0 ",
        channel="beta",
        site_id="shop.example.com:42",
        wp_version="6.5.2",
        php_version="8.2.10",
    ) == SiteRequest("1.2.0", "beta", "shop.example.com:42", "6.5.2", "8.2.10")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param({"channel": "nightly"}, "invalid_channel", id="nightly"),
        pytest.param({"channel": ""}, "invalid_channel", id="empty-channel"),
        pytest.param({"site_id": "my site"}, "invalid_site_id", id="spaces"),
        pytest.param({"site_id": "a" * 200}, "invalid_site_id", id="200-chars"),
        pytest.param({"site_id": "../"}, "invalid_site_id", id="dot-dot-slash"),
        pytest.param({"site_id": "site/../../etc"}, "invalid_site_id", id="path"),
        pytest.param({"site_id": ""}, "invalid_site_id", id="empty-site-id"),
        pytest.param({"wp_version": "latest"}, "invalid_wp_version", id="wp-latest"),
        pytest.param({"wp_version": "6.5;DROP"}, "invalid_wp_version", id="wp-garbage"),
        pytest.param({"php_version": "eight"}, "invalid_php_version", id="php-garbage"),
        pytest.param({"php_version": "8..2"}, "invalid_php_version", id="php-empty-part"),
        pytest.param({"current": None}, "missing_parameter", id="no-current"),
        pytest.param({"current": "banana"}, "invalid_version", id="bad-current"),
    ],
)
def test_garbage_from_a_site_is_a_client_error(fields: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        request(**fields)

    assert refused.value.code == code


def test_the_wordpress_user_agent_tells_the_wp_version() -> None:
    assert request(user_agent="WordPress/6.5.2; https://example.com").wp_version == "6.5.2"
    assert request(user_agent="WordPress/6.5.2; https://x.test", wp_version="6.6").wp_version == "6.6"
    assert request(user_agent="curl/8.4.0").wp_version is None


def test_the_user_agents_wp_version_holds_back_an_update_it_cannot_run() -> None:
    versions = stored(make_version("1.1.0"), make_version("1.2.0", requires="6.6"))
    req = request(current="1.1.0", user_agent="WordPress/6.5.2; https://example.com")

    assert decide(make_plugin(), versions, req) == (None, "requires_wp")


# --- plugin-update-checker's parameters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "installed"), [(None, "1.2.0"), ("1.2.0", "1.2.0"), ("", "1.2.0"), ("1.2.0", " 1.2.0 ")]
)
def test_installed_version_is_current_versions_alias(current: str | None, installed: str) -> None:
    assert request(current=current, installed_version=installed).current == "1.2.0"


def test_current_and_installed_version_that_disagree_are_a_client_error() -> None:
    with pytest.raises(InvalidInput) as refused:
        request(current="1.2.0", installed_version="1.1.0")

    assert refused.value.code == "conflicting_parameters"


@pytest.mark.parametrize("installed", [None, "", "  "])
def test_without_either_version_the_parameter_is_missing(installed: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        request(current=None, installed_version=installed)

    assert refused.value.code == "missing_parameter"


def test_pucs_php_tells_the_php_version_unless_the_site_states_one() -> None:
    assert request(php="8.1.2-1ubuntu2.14").php_version == "8.1.2-1ubuntu2.14"
    assert request(php="8.2.7-1~deb12u1").php_version == "8.2.7"  # "~" is no version character
    assert request(php="8.2.7", php_version="7.4.33").php_version == "7.4.33"


@pytest.mark.parametrize("php", ["", "eight", "8..2", "x" * 300])
def test_a_php_value_that_is_no_version_is_ignored_not_refused(php: str) -> None:
    assert request(php=php).php_version is None


@pytest.mark.parametrize(
    "user_agent",
    ["WordPress/6..1; https://x.test", "WordPress/; x", "WordPress/-6.1; https://x.test", "WordPress"],
)
def test_a_user_agent_without_a_usable_version_is_ignored_not_refused(user_agent: str) -> None:
    assert request(user_agent=user_agent).wp_version is None


def test_pucs_php_holds_back_an_update_it_cannot_run() -> None:
    versions = stored(make_version("1.1.0"), make_version("1.2.0", requires_php="8.3"))

    assert decide(make_plugin(), versions, request(current="1.1.0", php="8.2.7-1~deb12u1")) == (
        None,
        "requires_php",
    )


# --- current_version parameter -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_current_version_is_a_client_error(value: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_current_version(value)

    assert refused.value.code == "missing_parameter"


@pytest.mark.parametrize("value", ["banana", "v1.0.0", "1.0 beta", "1..0", "1.0.0/../../x"])
def test_a_malformed_current_version_is_a_client_error(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_current_version(value)

    assert refused.value.code == "invalid_version"


def test_current_version_is_trimmed() -> None:
    assert parse_current_version(" 1.2.3\n") == "1.2.3"


# --- info (plugins_api) ----------------------------------------------------------------------------


def test_plugin_info_has_the_fields_the_wordpress_details_modal_shows() -> None:
    latest = make_version(
        "1.2.0",
        released_at=datetime(2024, 5, 6, 15, 4, 5, tzinfo=UTC),
        sections={
            "description": "Connects your site.",
            "installation": "Upload and activate.",
            "faq": "= Q? =\nA.",
            "upgrade_notice": "= 1.2.0 =\nSecurity fix.",
        },
        author="IGNY8",
        author_uri="https://igny8.com",
        plugin_uri="https://igny8.com/bridge",
    )
    versions = stored(
        make_version("1.0.0", Status.DEPRECATED),
        make_version("1.0.5", Status.PULLED),
        make_version("1.1.0"),
        make_version("1.1.5", Status.UPDATE_READY),
        latest,
        make_version("1.2.1", Status.FAILED),
        make_version("1.3.0", Status.DRAFT),
        make_version("1.4.0", Status.STAGED),
        make_version("2.0.0-beta1", channel="beta"),
    )

    info = info_of(make_plugin(), versions)

    assert info["name"] == "IGNY8 WordPress Bridge"
    assert info["slug"] == SLUG
    assert info["version"] == "1.2.0"
    assert (info["requires"], info["tested"], info["requires_php"]) == ("5.8", "6.6", "7.4")
    assert info["last_updated"] == "2024-05-06 3:04pm GMT"
    # HTML, as wordpress.org serves it; the release's own changelog under its version.
    assert info["sections"] == {
        "description": "<p>Connects your site.</p>",
        "installation": "<p>Upload and activate.</p>",
        "changelog": "<h4>1.2.0</h4>\n<ul>\n<li>Changes of 1.2.0.</li>\n</ul>",
        "faq": "<dl>\n<dt><h3>Q?</h3></dt>\n<dd><p>A.</p>\n</dd>\n</dl>",
    }
    assert info["download_link"] == info["download_url"] == download("1.2.0")
    assert info["upgrade_notice"] == "Security fix."
    assert info["author"] == "IGNY8"
    assert info["homepage"] == "https://igny8.com/bridge"
    assert info["versions"] == {v: download(v) for v in ["1.2.0", "1.1.5", "1.1.0", "1.0.0"]}


def test_plugin_info_morning_times_and_missing_sections() -> None:
    versions = stored(make_version("1.0.0", released_at=datetime(2024, 1, 9, 0, 5, tzinfo=UTC), changelog=""))

    info = info_of(make_plugin(description="From the plugin record."), versions)

    assert info["last_updated"] == "2024-01-09 12:05am GMT"
    assert info["sections"] == {"description": "<p>From the plugin record.</p>"}


def test_plugin_info_names_a_staged_rollout_only_to_sites_inside_it() -> None:
    """plugin-update-checker installs whatever info names: info must not jump a rollout."""
    versions = stored(make_version("1.1.0"), make_version("1.2.0", rollout_percent=10))

    assert info_of(make_plugin(), versions)["version"] == "1.1.0"
    assert info_of(make_plugin(), versions, OUT_10)["version"] == "1.1.0"
    assert info_of(make_plugin(), versions, IN_10)["version"] == "1.2.0"


def test_plugin_info_without_a_release_is_not_found() -> None:
    versions = stored(make_version("1.0.0", Status.DRAFT))

    with pytest.raises(NotFound) as missing:
        info_of(make_plugin(), versions)

    assert missing.value.code == "no_release"


# --- download --------------------------------------------------------------------------------------


@pytest.fixture
def history() -> list[PluginVersion]:
    return stored(
        make_version("1.0.0", Status.DEPRECATED),
        make_version("1.1.0", Status.PULLED),
        make_version("1.2.0"),
        make_version("1.3.0", Status.UPDATE_READY),
        make_version("1.4.0", Status.DRAFT),
        make_version("1.5.0", Status.FAILED),
        make_version("1.6.0", Status.TESTING),
    )


def test_an_unpinned_download_serves_the_latest_release(history: list[PluginVersion]) -> None:
    assert choose_download(history, None, SLUG, NOW).version == "1.3.0"


@pytest.mark.parametrize("pinned", ["1.0.0", "1.2.0", "1.3.0"])
def test_a_pinned_download_serves_exactly_that_version(history: list[PluginVersion], pinned: str) -> None:
    chosen = choose_download(history, pinned, SLUG, NOW)

    assert chosen.version == pinned
    assert chosen.file_path.endswith(f"-v{pinned}.zip")


@pytest.mark.parametrize("pinned", ["1.4.0", "1.5.0", "1.6.0", "9.9.9"])
def test_versions_never_released_cannot_be_downloaded(history: list[PluginVersion], pinned: str) -> None:
    with pytest.raises(NotFound) as missing:
        choose_download(history, pinned, SLUG, NOW)

    assert missing.value.code == "no_such_version"


def test_a_pulled_version_is_gone(history: list[PluginVersion]) -> None:
    with pytest.raises(Gone) as gone:
        choose_download(history, "1.1.0", SLUG, NOW)

    assert gone.value.code == "pulled"


@pytest.mark.parametrize("pinned", ["latest", "../1.2.0", "", "1.2.0;rm"])
def test_a_malformed_pinned_version_is_a_client_error(history: list[PluginVersion], pinned: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        choose_download(history, pinned, SLUG, NOW)

    assert refused.value.code == "invalid_version"


def test_an_unpinned_download_serves_the_newest_full_stable_release() -> None:
    versions = stored(
        make_version("1.0.0"),
        make_version("1.1.0", Status.UPDATE_READY),
        make_version("1.2.0", rollout_percent=10),
        make_version("1.3.0", Status.PULLED),
        make_version("2.0.0-beta1", channel="beta"),
    )

    assert choose_download(versions, None, SLUG, NOW).version == "1.1.0"


def test_a_pinned_download_ignores_the_rollout_of_that_version() -> None:
    versions = stored(make_version("1.1.0"), make_version("1.2.0", rollout_percent=10))

    assert choose_download(versions, "1.2.0", SLUG, NOW).version == "1.2.0"


def test_a_pinned_download_of_an_expired_package_is_gone_from_its_moment() -> None:
    expires = NOW + timedelta(days=30)
    versions = stored(
        make_version("1.0.0", Status.DEPRECATED, package_expires_at=expires), make_version("1.3.0")
    )

    assert choose_download(versions, "1.0.0", SLUG, expires - timedelta(seconds=1)).version == "1.0.0"
    with pytest.raises(Gone) as gone:
        choose_download(versions, "1.0.0", SLUG, expires)
    assert gone.value.code == "expired"


def test_an_unpinned_download_without_a_release_is_not_found() -> None:
    with pytest.raises(NotFound) as missing:
        choose_download(stored(make_version("1.0.0", Status.DRAFT)), None, SLUG, NOW)

    assert missing.value.code == "no_release"


# --- upgrade notice --------------------------------------------------------------------------------

NOTICES = (
    "= 1.2.0 =\nSecurity fix: update now.\nSecond line.\n\n"
    "= 1.1.0 =\nOlder notice.\n\n"
    "= 11.2.0 =\nFar future."
)


@pytest.mark.parametrize(
    ("version", "notice"),
    [
        ("1.2.0", "Security fix: update now. Second line."),
        ("1.1.0", "Older notice."),
        ("11.2.0", "Far future."),
        ("1.2", ""),
        ("2.0.0", ""),
    ],
)
def test_the_upgrade_notice_is_this_versions_paragraph(version: str, notice: str) -> None:
    assert upgrade_notice(make_version(version, sections={"upgrade_notice": NOTICES})) == notice


def test_the_upgrade_notice_reaches_the_update_offer() -> None:
    versions = stored(make_version("1.0.0"), make_version("1.2.0", sections={"upgrade_notice": NOTICES}))

    item = check_update(make_plugin(), versions, site("1.0.0"), LINKS)["update"]

    assert item["upgrade_notice"] == "Security fix: update now. Second line."


def test_no_upgrade_notice_section() -> None:
    assert upgrade_notice(make_version("1.2.0")) == ""


# --- latest per platform ---------------------------------------------------------------------------


def platform_repo(*entries: tuple[Plugin, list[PluginVersion]]) -> FakeRepository:
    repo = FakeRepository()
    for plugin, versions in entries:
        repo.save_plugin(plugin)
        for version in versions:
            repo.put_version(version)
    return repo


def test_latest_for_platform_is_the_most_recently_released_plugin() -> None:
    repo = platform_repo(
        (make_plugin("alpha", name="Alpha"), [make_version("3.0.0", slug="alpha", plugin_name="Alpha")]),
        (
            make_plugin("beta-tool", name="Beta Tool"),
            [
                make_version("1.0.0", slug="beta-tool", released_at=NOW + timedelta(hours=2)),
                make_version("1.1.0", slug="beta-tool", status=Status.DRAFT, released_at=None),
            ],
        ),
        (
            make_plugin("gamma", is_active=False),
            [make_version("1.0.0", slug="gamma", released_at=NOW + timedelta(days=9))],
        ),
        (make_plugin("delta"), [make_version("5.0.0", slug="delta", status=Status.DRAFT)]),
    )

    card = latest_for_platform(repo.plugins_on_platform("wordpress"), "wordpress", LINKS, repo.versions)

    assert card["slug"] == "beta-tool"
    assert card["version"] == "1.0.0"
    assert card["platform"] == "wordpress"
    assert card["download_url"] == "https://plugins.test/api/plugins/beta-tool/download/?version=1.0.0"
    assert card["info_url"] == "https://plugins.test/api/plugins/beta-tool/info/"
    assert card["released_at"] == "2024-05-06T17:04:05Z"


def test_latest_for_platform_without_any_release_is_not_found() -> None:
    repo = platform_repo(
        (make_plugin("delta"), [make_version("5.0.0", slug="delta", status=Status.DRAFT)]),
        (make_plugin("gamma", is_active=False), [make_version("1.0.0", slug="gamma")]),
    )

    with pytest.raises(NotFound) as missing:
        latest_for_platform(repo.plugins_on_platform("wordpress"), "wordpress", LINKS, repo.versions)

    assert missing.value.code == "no_release"


def test_latest_for_platform_skips_a_private_plugin_unless_the_caller_has_a_site_key() -> None:
    repo = platform_repo(
        (make_plugin("alpha"), [make_version("1.0.0", slug="alpha")]),
        (
            make_plugin("secret", private=True),
            [make_version("9.0.0", slug="secret", released_at=NOW + timedelta(hours=1))],
        ),
    )
    plugins = repo.plugins_on_platform("wordpress")

    assert latest_for_platform(plugins, "wordpress", LINKS, repo.versions)["slug"] == "alpha"
    assert latest_for_platform(plugins, "wordpress", LINKS, repo.versions, site_key=True)["slug"] == "secret"


def test_latest_for_platform_with_only_private_plugins_is_not_found_for_anonymous_callers() -> None:
    repo = platform_repo((make_plugin("secret", private=True), [make_version("9.0.0", slug="secret")]))

    with pytest.raises(NotFound) as missing:
        latest_for_platform(repo.plugins_on_platform("wordpress"), "wordpress", LINKS, repo.versions)

    assert missing.value.code == "no_release"


@pytest.mark.parametrize(
    ("fields", "site_key", "hidden"),
    [
        ({}, False, False),
        ({}, True, False),
        ({"private": True}, False, True),
        ({"private": True}, True, False),
        ({"is_active": False}, True, True),
        ({"is_active": False, "private": True}, True, True),
    ],
)
def test_sites_see_an_active_plugin_and_a_private_one_only_with_a_site_key(
    fields: dict[str, Any], site_key: bool, hidden: bool
) -> None:
    assert hidden_from_sites(make_plugin(**fields), site_key=site_key) is hidden


def test_a_hidden_plugin_is_refused_as_an_unknown_slug_is() -> None:
    refusal = unknown_plugin("secret")

    assert (refusal.code, refusal.message) == ("not_found", "no plugin 'secret'")
