"""Uploading a source archive, as an admin and the WordPress sites downstream would see the result."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.ingest import IngestFailed, Ingestor
from chalicelib.logic.model import Platform, Plugin, PluginVersion, Status
from chalicelib.logic.packaging import Limits
from chalicelib.logic.uploads import Upload, parse_source_key
from tests.unit.fakes import FakeRepository, FakeSigner, FakeStore, FixedClock

BRIDGE = Path(__file__).resolve().parents[2] / "plugins" / "wordpress" / "source" / "igny8-wp-bridge"
SLUG = "igny8-wp-bridge"
MAIN = f"{SLUG}/{SLUG}.php"
PREFIX = f"sources/wordpress/{SLUG}"


def bridge_zip(*, header_version: str | None = None, extra: dict[str, str] | None = None) -> bytes:
    """The bridge's source as a "Download ZIP" archive (one wrapper folder), optionally altered."""
    files: dict[str, bytes] = {}
    for file in sorted(BRIDGE.rglob("*")):
        if file.is_file():
            data = file.read_bytes()
            if header_version is not None and file.name == f"{SLUG}.php":
                data = data.replace(b"1.0.0", header_version.encode())
            files[file.relative_to(BRIDGE).as_posix()] = data
    for name, text in (extra or {}).items():
        files[name] = text.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(f"{SLUG}/{name}", date_time=(2024, 1, 2, 3, 4, 6)), data)
    return buffer.getvalue()


class Service:
    """One bucket, one table and the packager, as the S3 -> SQS -> Lambda wiring runs it."""

    def __init__(self, tmp_path: Path) -> None:
        self.repo = FakeRepository()
        self.store = FakeStore()
        self.clock = FixedClock()
        self.store.clock = self.clock
        self.limits = Limits()
        self._tmp = tmp_path
        self._runs = 0

    def upload(self, key: str, data: bytes, *, principal: str | None = None, **metadata: str) -> Upload:
        """Straight to S3, as anyone with write access to sources/ can."""
        return Upload(key=key, version_id=self.store.put_source(key, data, metadata), principal=principal)

    def granted(self, key: str, data: bytes, **metadata: str) -> Upload:
        """Through the admin API's presigned PUT: the API binds the admin and ``metadata`` to the key."""
        self.store.presign_upload(key, {"uploaded-by": "admin:alice", **metadata}, 900)
        return self.upload(key, data, principal="AROAAPIROLE:api-handler", **metadata)

    def ingest(self, upload: Upload, *, last_delivery: bool = False) -> PluginVersion:
        # The Lambda handler gives every message a fresh temporary directory.
        self._runs += 1
        workdir = self._tmp / f"run-{self._runs}"
        workdir.mkdir()
        ingestor = Ingestor(self.repo, self.store, FakeSigner(), workdir, self.clock, limits=self.limits)
        return ingestor.ingest(upload, last_delivery=last_delivery)

    def package(self, version: PluginVersion) -> bytes:
        return self.store.packages[version.file_path]

    def packaged_main_file(self, version: PluginVersion) -> str:
        with zipfile.ZipFile(io.BytesIO(self.package(version))) as package:
            return package.read(MAIN).decode()


@pytest.fixture
def svc(tmp_path: Path) -> Service:
    return Service(tmp_path)


# --- where the version comes from ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "metadata"),
    [
        pytest.param(f"{PREFIX}/upload-7f3a.zip", {"version": "1.2.3"}, id="metadata"),
        pytest.param(f"{PREFIX}/1.2.3/upload-7f3a.zip", {}, id="key-segment"),
        pytest.param(f"{PREFIX}/{SLUG}-v1.2.3.zip", {}, id="file-name"),
        pytest.param(f"{PREFIX}/{SLUG}-1.2.3.zip", {}, id="file-name-without-v"),
    ],
)
def test_a_requested_version_is_registered_and_stamped_into_the_package(
    svc: Service, key: str, metadata: dict[str, str]
) -> None:
    record = svc.ingest(svc.upload(key, bridge_zip(), **metadata))

    assert record.version == "1.2.3"
    assert record.status is Status.DRAFT
    assert svc.repo.get_version(SLUG, "1.2.3") == record
    assert record.file_path == f"packages/wordpress/{SLUG}/{SLUG}-v1.2.3.zip"
    package = svc.package(record)
    assert hashlib.sha256(package).hexdigest() == record.sha256
    assert record.file_size == len(package)
    main = svc.packaged_main_file(record)
    assert "Version:           1.2.3" in main
    assert "define( 'IGNY8_BRIDGE_VERSION', '1.2.3' );" in main
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.name == "IGNY8 WordPress Bridge"
    assert plugin.platform is Platform.WORDPRESS


def test_without_a_requested_version_the_plugin_header_decides(svc: Service) -> None:
    data = bridge_zip(header_version="1.4.2")

    record = svc.ingest(svc.upload(f"{PREFIX}/upload-7f3a.zip", data))

    assert record.version == "1.4.2"
    assert record.stamped == []
    assert record.main_file == f"{SLUG}.php"
    assert "Version:           1.4.2" in svc.packaged_main_file(record)
    assert [v.version for v in svc.repo.versions(SLUG)] == ["1.4.2"]


def test_metadata_version_wins_over_the_header(svc: Service) -> None:
    data = bridge_zip(header_version="1.4.2")

    record = svc.ingest(svc.upload(f"{PREFIX}/upload.zip", data, version="2.0.0"))

    assert record.version == "2.0.0"
    assert "Version:           2.0.0" in svc.packaged_main_file(record)


def test_readme_and_header_fields_reach_the_record(svc: Service) -> None:
    record = svc.ingest(svc.upload(f"{PREFIX}/1.2.3/upload.zip", bridge_zip()))

    assert (record.requires, record.tested, record.requires_php) == ("5.8", "6.6", "7.4")
    assert record.author == "IGNY8"
    assert record.plugin_uri == "https://igny8.com"
    assert {"description", "installation", "faq", "changelog", "upgrade_notice"} <= set(record.sections)
    assert record.source_key == f"{PREFIX}/1.2.3/upload.zip"


# --- the status an upload asks for -----------------------------------------------------------------


def test_status_released_in_metadata_releases_and_moves_the_latest_pointer(svc: Service) -> None:
    record = svc.ingest(svc.granted(f"{PREFIX}/1.2.3/upload.zip", bridge_zip(), status="released"))

    assert record.status is Status.RELEASED
    assert record.released_at == svc.clock.now
    stored = svc.repo.get_version(SLUG, "1.2.3")
    assert stored is not None
    assert stored.status is Status.RELEASED
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.latest == {"stable": "1.2.3"}


def test_uploads_are_drafts_by_default_and_move_no_pointer(svc: Service) -> None:
    record = svc.ingest(svc.upload(f"{PREFIX}/1.2.3/upload.zip", bridge_zip()))

    assert record.status is Status.DRAFT
    assert record.released_at is None
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.latest == {}


@pytest.mark.parametrize("status", ["testing", "staged"])
def test_an_upload_may_ask_for_an_early_status(svc: Service, status: str) -> None:
    record = svc.ingest(svc.upload(f"{PREFIX}/1.2.3/upload.zip", bridge_zip(), status=status))

    assert record.status is Status(status)
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.latest == {}


@pytest.mark.parametrize("status", ["banana", "pulled", "deprecated", "update_ready", "failed"])
def test_an_invalid_status_is_refused(svc: Service, status: str) -> None:
    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(f"{PREFIX}/1.2.3/upload.zip", bridge_zip(), status=status))

    assert refused.value.code == "invalid_status"
    assert svc.store.packages == {}
    stored = svc.repo.get_version(SLUG, "1.2.3")
    assert stored is not None
    assert (stored.status, stored.failure_code) == (Status.FAILED, "invalid_status")


# --- repeated and conflicting uploads --------------------------------------------------------------


@pytest.mark.parametrize(
    "key", [f"{PREFIX}/1.2.3/upload.zip", f"{PREFIX}/upload.zip"], ids=["version-in-key", "version-in-header"]
)
@pytest.mark.parametrize("status", ["draft", "released"])
def test_the_same_event_delivered_twice_registers_one_version(svc: Service, key: str, status: str) -> None:
    upload = svc.granted(key, bridge_zip(header_version="1.2.3"), status=status)
    first = svc.ingest(upload)
    package = svc.package(first)
    svc.clock.advance(minutes=5)

    again = svc.ingest(upload)

    assert again == first
    assert svc.repo.versions(SLUG) == [first]
    assert svc.package(first) == package
    assert list(svc.store.packages) == [first.file_path]


def test_identical_bytes_uploaded_again_for_a_released_version_change_nothing(svc: Service) -> None:
    data = bridge_zip()
    released = svc.ingest(svc.granted(f"{PREFIX}/1.2.3/a.zip", data, status="released"))
    svc.clock.advance(days=1)

    again = svc.ingest(svc.upload(f"{PREFIX}/1.2.3/b.zip", data))

    assert again == released
    assert svc.repo.versions(SLUG) == [released]
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.last_failure is None


def test_different_bytes_for_a_released_version_are_refused_and_recorded(svc: Service) -> None:
    released = svc.ingest(svc.granted(f"{PREFIX}/1.2.3/a.zip", bridge_zip(), status="released"))
    package = svc.package(released)
    svc.clock.advance(hours=1)
    changed = bridge_zip(extra={"includes/hotfix.php": "<?php // sneaky change\n"})

    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(f"{PREFIX}/1.2.3/b.zip", changed))

    assert refused.value.code == "version_exists"
    assert svc.repo.versions(SLUG) == [released]
    assert svc.package(released) == package
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.latest == {"stable": "1.2.3"}
    assert plugin.last_failure is not None
    assert plugin.last_failure.code == "version_exists"
    assert plugin.last_failure.source_key == f"{PREFIX}/1.2.3/b.zip"
    assert plugin.last_failure.at == svc.clock.now


def test_a_broken_upload_for_a_released_version_leaves_the_release_alone(svc: Service) -> None:
    released = svc.ingest(svc.granted(f"{PREFIX}/1.2.3/a.zip", bridge_zip(), status="released"))

    with pytest.raises(IngestFailed):
        svc.ingest(svc.upload(f"{PREFIX}/1.2.3/b.zip", b"definitely not a zip"))

    assert svc.repo.versions(SLUG) == [released]
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.last_failure is not None
    assert plugin.last_failure.code == "not_a_zip"


def test_different_bytes_for_a_draft_replace_it(svc: Service) -> None:
    draft = svc.ingest(svc.upload(f"{PREFIX}/1.2.3/a.zip", bridge_zip()))
    svc.clock.advance(hours=1)
    fixed = bridge_zip(extra={"includes/fix.php": "<?php // the fix\n"})

    replaced = svc.ingest(svc.upload(f"{PREFIX}/1.2.3/b.zip", fixed))

    assert replaced.status is Status.DRAFT
    assert replaced.sha256 != draft.sha256
    assert replaced.source_key == f"{PREFIX}/1.2.3/b.zip"
    assert replaced.created_at == draft.created_at
    assert svc.repo.versions(SLUG) == [replaced]
    assert hashlib.sha256(svc.package(replaced)).hexdigest() == replaced.sha256
    with zipfile.ZipFile(io.BytesIO(svc.package(replaced))) as package:
        assert f"{SLUG}/includes/fix.php" in package.namelist()


def test_a_good_upload_replaces_a_failed_one(svc: Service) -> None:
    with pytest.raises(IngestFailed):
        svc.ingest(svc.upload(f"{PREFIX}/1.2.3/a.zip", b"PK\x03\x04 truncated"))

    record = svc.ingest(svc.upload(f"{PREFIX}/1.2.3/b.zip", bridge_zip()))

    assert record.status is Status.DRAFT
    assert (record.failure_code, record.failure_reason) == ("", "")
    assert svc.repo.versions(SLUG) == [record]


def test_a_retried_release_upload_recovers_from_a_crash_midway(svc: Service) -> None:
    """SQS redelivers a message whose first attempt died (timeout, throttling) after the version
    record was written: the retry must finish the job, not stop at a half-registered draft."""

    class FlakyRepository(FakeRepository):
        failures = 1

        def save_plugin(self, plugin: Plugin) -> None:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("ProvisionedThroughputExceededException")
            super().save_plugin(plugin)

    svc.repo = FlakyRepository()
    upload = svc.granted(f"{PREFIX}/1.2.3/a.zip", bridge_zip(), status="released")
    with pytest.raises(RuntimeError):
        svc.ingest(upload)

    record = svc.ingest(upload)

    assert record.status is Status.RELEASED
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.latest == {"stable": "1.2.3"}


# --- broken archives -------------------------------------------------------------------------------


def test_a_broken_archive_with_a_known_version_leaves_a_failed_version(svc: Service) -> None:
    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(f"{PREFIX}/1.2.3/a.zip", b"this is a text file, not a zip"))

    assert refused.value.code == "not_a_zip"
    failed = svc.repo.get_version(SLUG, "1.2.3")
    assert failed is not None
    assert failed.status is Status.FAILED
    assert failed.failure_code == "not_a_zip"
    assert "not a ZIP" in failed.failure_reason
    assert failed.source_key == f"{PREFIX}/1.2.3/a.zip"
    assert svc.store.packages == {}


def test_a_refusal_is_logged_with_fields_logs_insights_can_filter_on(
    svc: Service, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="chalicelib.logic.ingest"), pytest.raises(IngestFailed):
        svc.ingest(svc.upload(f"{PREFIX}/1.2.3/a.zip", b"this is a text file, not a zip"))

    (refused,) = [r for r in caplog.records if r.getMessage() == "refused"]
    assert (refused.slug, refused.version, refused.reason) == (SLUG, "1.2.3", "not_a_zip")  # type: ignore[attr-defined]
    assert refused.source_key == f"{PREFIX}/1.2.3/a.zip"  # type: ignore[attr-defined]


def test_a_broken_archive_with_its_version_in_metadata_leaves_a_failed_version(svc: Service) -> None:
    with pytest.raises(IngestFailed):
        svc.ingest(svc.upload(f"{PREFIX}/upload.zip", b"this is a text file, not a zip", version="1.2.3"))

    failed = svc.repo.get_version(SLUG, "1.2.3")
    assert failed is not None, "the failure should sit on version 1.2.3, where the admin looks for it"
    assert failed.status is Status.FAILED
    assert failed.failure_code == "not_a_zip"


def test_a_broken_archive_without_a_version_is_recorded_on_the_plugin(svc: Service) -> None:
    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(f"{PREFIX}/upload.zip", b"this is a text file, not a zip"))

    assert refused.value.code == "not_a_zip"
    assert svc.repo.versions(SLUG) == []
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.last_failure is not None
    assert plugin.last_failure.code == "not_a_zip"
    assert plugin.last_failure.source_key == f"{PREFIX}/upload.zip"
    assert svc.store.packages == {}


def test_an_archive_without_a_plugin_header_is_refused(svc: Service) -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr(f"{SLUG}/readme.txt", "=== Nothing ===\n")
    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(f"{PREFIX}/1.2.3/a.zip", data.getvalue()))

    assert refused.value.code == "no_plugin_header"
    failed = svc.repo.get_version(SLUG, "1.2.3")
    assert failed is not None
    assert failed.status is Status.FAILED


def test_a_source_over_the_size_limit_is_refused(svc: Service) -> None:
    data = bridge_zip()
    svc.limits = Limits(max_archive_bytes=len(data) - 1)

    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(f"{PREFIX}/1.2.3/a.zip", data))

    assert refused.value.code == "too_large"
    failed = svc.repo.get_version(SLUG, "1.2.3")
    assert failed is not None
    assert failed.failure_code == "too_large"
    assert svc.store.packages == {}


# --- keys ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "code"),
    [
        pytest.param(f"uploads/wordpress/{SLUG}/a.zip", "bad_key", id="wrong-prefix"),
        pytest.param("sources/wordpress/a.zip", "bad_key", id="no-slug"),
        pytest.param(f"{PREFIX}/1.2.3/", "bad_key", id="no-file-name"),
        pytest.param(f"sources/joomla/{SLUG}/a.zip", "invalid_platform", id="unknown-platform"),
        pytest.param("sources/wordpress/My_Plugin/a.zip", "invalid_slug", id="bad-slug"),
        pytest.param(f"{PREFIX}/1.2.3/extra/a.zip", "bad_key", id="too-many-segments"),
        pytest.param(f"{PREFIX}/v1.2.3/a.zip", "invalid_version", id="v-prefixed-version"),
        pytest.param(f"{PREFIX}/1..2/a.zip", "invalid_version", id="empty-version-part"),
    ],
)
def test_bad_keys_are_refused_with_a_code_and_touch_nothing(svc: Service, key: str, code: str) -> None:
    with pytest.raises(InvalidInput) as parsed:
        parse_source_key(key)
    assert parsed.value.code == code

    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(key, bridge_zip()))

    assert refused.value.code == code
    assert svc.repo.get_plugin(SLUG) is None
    assert svc.repo.versions(SLUG) == []
    assert svc.store.packages == {}


@pytest.mark.parametrize(
    ("key", "platform", "version"),
    [
        (f"{PREFIX}/1.2.3/a.zip", Platform.WORDPRESS, "1.2.3"),
        (f"{PREFIX}/{SLUG}-v2.0.0-beta1.zip", Platform.WORDPRESS, "2.0.0-beta1"),
        (f"{PREFIX}/{SLUG}-v1.4.0.tar.gz", Platform.WORDPRESS, "1.4.0"),
        (f"{PREFIX}/{SLUG}-1.4.1.tgz", Platform.WORDPRESS, "1.4.1"),
        (f"{PREFIX}/{SLUG}-v1.4.2.tar", Platform.WORDPRESS, None),
        (f"{PREFIX}/0b9d3c.zip", Platform.WORDPRESS, None),
        (f"{PREFIX}/other-plugin-v1.0.zip", Platform.WORDPRESS, None),
        ("sources/shopify/igny8-app/3.1/a.zip", Platform.SHOPIFY, "3.1"),
    ],
)
def test_parse_source_key(key: str, platform: Platform, version: str | None) -> None:
    parsed = parse_source_key(key)

    assert (parsed.platform, parsed.version) == (platform, version)
    assert parsed.slug == key.split("/")[2]


def sdk_zip(manifest: str) -> bytes:
    """A custom-site SDK / Shopify app source: a JSON manifest and some code."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("igny8-sdk-main/package.json", manifest)
        archive.writestr("igny8-sdk-main/index.js", "module.exports = {};\n")
        archive.writestr("igny8-sdk-main/tests/index.test.js", "test();\n")
    return buffer.getvalue()


@pytest.mark.parametrize("platform", ["shopify", "custom"])
def test_sdk_and_app_sources_are_packaged_with_the_manifest_stamped(svc: Service, platform: str) -> None:
    manifest = '{\n  "name": "igny8-sdk",\n  "version": "0.9.0",\n  "description": "IGNY8 SDK"\n}\n'

    record = svc.ingest(svc.upload(f"sources/{platform}/igny8-sdk/1.0.0/a.zip", sdk_zip(manifest)))

    assert (record.version, record.status, record.main_file) == ("1.0.0", Status.DRAFT, "package.json")
    assert record.file_path == f"packages/{platform}/igny8-sdk/igny8-sdk-v1.0.0.zip"
    assert record.signature_key_id == FakeSigner.key_id
    package = zipfile.ZipFile(io.BytesIO(svc.store.packages[record.file_path]))
    assert sorted(package.namelist()) == ["igny8-sdk/", "igny8-sdk/index.js", "igny8-sdk/package.json"]
    assert '"version": "1.0.0"' in package.read("igny8-sdk/package.json").decode()
    plugin = svc.repo.get_plugin("igny8-sdk")
    assert plugin is not None
    assert (plugin.platform.value, plugin.name) == (platform, "igny8-sdk")


def test_an_sdk_source_without_a_manifest_is_refused_with_the_reason(svc: Service) -> None:
    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload("sources/custom/igny8-sdk/1.0.0/a.zip", bridge_zip()))

    assert refused.value.code == "no_manifest"
    assert svc.store.packages == {}
    failed = svc.repo.get_version("igny8-sdk", "1.0.0")
    assert failed is not None
    assert (failed.status, failed.failure_code) == (Status.FAILED, "no_manifest")


# --- changelog -------------------------------------------------------------------------------------


def test_changelog_comes_from_the_readme_when_the_upload_gives_none(svc: Service) -> None:
    # The bridge's readme has a "= 1.0.0 =" changelog entry.
    record = svc.ingest(svc.upload(f"{PREFIX}/1.0.0/a.zip", bridge_zip()))

    assert "First release" in record.changelog
    assert "= 1.0.0 =" in record.sections["changelog"]


def test_without_an_entry_for_the_version_the_whole_readme_changelog_is_used(svc: Service) -> None:
    record = svc.ingest(svc.upload(f"{PREFIX}/1.2.3/a.zip", bridge_zip()))

    assert record.changelog.startswith("= 1.0.0 =")
    assert "First release" in record.changelog
    assert record.changelog == record.sections["changelog"]


def test_changelog_from_metadata_wins(svc: Service) -> None:
    # storage.py percent-decodes metadata, so the domain receives the text as the admin wrote it.
    changelog = "Fixes the ümlaut bug; 100% faster"
    record = svc.ingest(svc.upload(f"{PREFIX}/1.2.3/a.zip", bridge_zip(), changelog=changelog))

    assert record.changelog == changelog
    assert "First release" in record.sections["changelog"]


# --- two uploads racing for one version -------------------------------------------------------------


def _claimed_by_another(svc: Service, version: str) -> None:
    """Another upload of ``version`` has claimed it and is packaging right now."""
    svc.repo.put_version(
        PluginVersion(
            slug=SLUG,
            version=version,
            status=Status.PENDING,
            created_at=svc.clock(),
            source_key=f"sources/wordpress/{SLUG}/{version}/other.zip",
            source_version_id="other-upload",
        )
    )


def test_an_upload_racing_another_for_the_same_version_fails_and_writes_no_bytes(svc: Service) -> None:
    _claimed_by_another(svc, "1.5.0")

    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(f"sources/wordpress/{SLUG}/1.5.0/mine.zip", bridge_zip()))

    assert (refused.value.code, refused.value.retry) == ("version_busy", True)  # the claim may end
    assert svc.store.packages == {}
    claim = svc.repo.get_version(SLUG, "1.5.0")
    assert claim is not None
    assert (claim.status, claim.source_version_id) == (Status.PENDING, "other-upload")
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None
    assert plugin.last_failure is not None
    assert plugin.last_failure.code == "version_busy"


def test_a_claim_abandoned_by_a_crashed_run_is_taken_over(svc: Service) -> None:
    _claimed_by_another(svc, "1.5.0")
    svc.clock.advance(hours=1)

    record = svc.ingest(svc.upload(f"sources/wordpress/{SLUG}/1.5.0/mine.zip", bridge_zip()))

    assert (record.status, record.source_key) == (Status.DRAFT, f"sources/wordpress/{SLUG}/1.5.0/mine.zip")
    assert record.file_path in svc.store.packages


def test_a_refusal_is_permanent_and_not_retried(svc: Service) -> None:
    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(f"sources/wordpress/{SLUG}/1.5.0/mine.zip", b"not a zip"))

    assert (refused.value.code, refused.value.retry) == ("not_a_zip", False)


def _crashed_claim(svc: Service, key: str) -> Upload:
    """An upload whose first run claimed 1.5.0 and then died (before writing or recording)."""
    upload = svc.upload(key, bridge_zip())
    put_package = svc.store.put_package

    def die(*args: object, **kwargs: object) -> object:
        svc.store.put_package = put_package  # type: ignore[method-assign]
        raise KeyboardInterrupt  # not an Exception: nothing is recorded, as when the process dies

    svc.store.put_package = die  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        svc.ingest(upload)
    claim = svc.repo.get_version(SLUG, "1.5.0")
    assert claim is not None and claim.status is Status.PENDING
    return upload


def test_a_redelivery_finishes_what_a_crashed_run_of_the_same_upload_claimed(svc: Service) -> None:
    upload = _crashed_claim(svc, f"sources/wordpress/{SLUG}/1.5.0/mine.zip")

    record = svc.ingest(upload)  # minutes later, not the last delivery

    assert (record.status, record.failure_code) == (Status.DRAFT, "")
    assert record.file_path in svc.store.packages


def test_the_last_delivery_after_crashes_records_the_interruption(svc: Service) -> None:
    key = f"sources/wordpress/{SLUG}/1.5.0/mine.zip"
    upload = _crashed_claim(svc, key)

    with pytest.raises(IngestFailed) as refused:
        svc.ingest(upload, last_delivery=True)

    assert (refused.value.code, refused.value.retry) == ("interrupted", False)
    record = svc.repo.get_version(SLUG, "1.5.0")
    assert record is not None
    assert (record.status, record.failure_code, record.source_key) == (Status.FAILED, "interrupted", key)
    assert svc.store.packages == {}
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None and plugin.last_failure is not None
    assert plugin.last_failure.code == "interrupted"


def test_the_last_delivery_of_an_upload_that_never_crashed_still_packages(svc: Service) -> None:
    record = svc.ingest(svc.upload(f"sources/wordpress/{SLUG}/1.5.0/a.zip", bridge_zip()), last_delivery=True)

    assert record.status is Status.DRAFT


def test_the_version_is_claimed_before_its_bytes_are_written(svc: Service) -> None:
    seen: list[Status | None] = []
    put_package = svc.store.put_package

    def watching_put(*args: object, **kwargs: object) -> object:
        claim = svc.repo.get_version(SLUG, "1.6.0")
        seen.append(claim.status if claim else None)
        return put_package(*args, **kwargs)  # type: ignore[arg-type]

    svc.store.put_package = watching_put  # type: ignore[method-assign]
    svc.ingest(svc.upload(f"sources/wordpress/{SLUG}/1.6.0/a.zip", bridge_zip()))

    assert seen == [Status.PENDING]


def test_the_configured_limits_apply(svc: Service) -> None:
    svc.limits = Limits(max_entries=3)

    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.upload(f"{PREFIX}/1.7.0/a.zip", bridge_zip()))

    assert refused.value.code == "too_many_entries"
    assert svc.store.packages == {}


def test_a_refusal_names_the_file_the_admin_uploaded(svc: Service) -> None:
    with pytest.raises(IngestFailed):
        svc.ingest(svc.upload(f"{PREFIX}/1.7.0/my plugin.zip", b"not a zip at all"))

    failed = svc.repo.get_version(SLUG, "1.7.0")
    assert failed is not None
    assert failed.failure_code == "not_a_zip"
    assert "my_plugin.zip" in failed.failure_reason


@pytest.mark.parametrize(
    ("meta", "code"),
    [
        ({"percent": "²"}, "invalid_percent"),
        ({"percent": "9" * 5000}, "invalid_percent"),
        ({"percent": "-1"}, "invalid_percent"),
        ({"force_update": "yes please"}, "invalid_force_update"),
    ],
)
def test_metadata_that_is_not_a_number_or_a_flag_is_a_clear_refusal(
    svc: Service, meta: dict[str, str], code: str
) -> None:
    with pytest.raises(IngestFailed) as refused:
        svc.ingest(svc.granted(f"{PREFIX}/1.2.3/a.zip", bridge_zip(), status="released", **meta))

    assert refused.value.code == code
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None and plugin.last_failure is not None
    assert plugin.last_failure.code == code
    assert svc.store.packages == {}


def test_an_unexpected_failure_is_recorded_and_retried(svc: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(svc.store, "put_package", explode)
    with pytest.raises(RuntimeError):  # not IngestFailed: SQS retries, then parks it in the DLQ
        svc.ingest(svc.upload(f"{PREFIX}/1.2.3/a.zip", bridge_zip()))

    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None and plugin.last_failure is not None
    assert plugin.last_failure.code == "internal_error"
    assert "RuntimeError" in plugin.last_failure.message
