"""Audit truth: an upload's actor is who authenticated, never what its S3 metadata claims, and
metadata alone never releases, forces or rolls out a version."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.logic.model import AuditEntry, Status
from tests.unit.test_ingest import PREFIX, SLUG, Service, bridge_zip

KEY = f"{PREFIX}/1.2.3/upload.zip"
HOSTILE = {"status": "released", "percent": "100", "force_update": "true", "uploaded-by": "admin:alice"}


@pytest.fixture
def svc(tmp_path: Path) -> Service:
    return Service(tmp_path)


def audit(svc: Service, action: str) -> AuditEntry:
    return next(e for e in svc.repo.audit(SLUG) if e.action == action)


def test_a_direct_upload_asking_for_a_forced_release_is_a_draft_audited_with_notes(svc: Service) -> None:
    record = svc.ingest(svc.upload(KEY, bridge_zip(), principal="AIDAEXAMPLE:mallory", **HOSTILE))

    assert (record.status, record.force_update, record.rollout_percent) == (Status.DRAFT, False, 100)
    plugin = svc.repo.get_plugin(SLUG)
    assert plugin is not None and plugin.latest == {}  # offered to no site
    entry = audit(svc, "register")
    assert entry.actor == "packager for S3 principal AIDAEXAMPLE:mallory"
    notes = " | ".join(entry.after["notes"])
    assert "status released" in notes and "draft" in notes
    assert "percent='100'" in notes and "force_update='true'" in notes
    assert "uploaded-by 'admin:alice'" in notes and "nothing verifies" in notes
    assert [e.action for e in svc.repo.audit(SLUG)] == ["register"]  # no release


def test_a_direct_upload_without_a_principal_is_named_as_such(svc: Service) -> None:
    svc.ingest(svc.upload(KEY, bridge_zip()))

    assert audit(svc, "register").actor == "packager for an S3 upload with no principal in its event"
    assert "notes" not in audit(svc, "register").after


def test_an_upload_through_the_admin_api_is_the_admins_with_what_they_asked(svc: Service) -> None:
    record = svc.ingest(svc.granted(KEY, bridge_zip(), status="released", percent="40"))

    assert (record.status, record.rollout_percent) == (Status.RELEASED, 40)
    assert audit(svc, "register").actor == "packager for admin:alice"
    assert audit(svc, "release").actor == "packager for admin:alice"
    assert "notes" not in audit(svc, "register").after


def test_metadata_rewritten_under_a_granted_key_changes_nothing(svc: Service) -> None:
    """Someone with S3 write access puts an object under the key the admin was handed out."""
    svc.store.presign_upload(KEY, {"uploaded-by": "admin:alice", "version": "1.2.3"}, 900)
    upload = svc.upload(KEY, bridge_zip(), principal="AIDAEXAMPLE:mallory", **HOSTILE)

    record = svc.ingest(upload)

    assert record.status is Status.DRAFT
    assert audit(svc, "register").actor == "packager for admin:alice"


def test_an_upload_after_its_grant_expired_is_a_direct_upload(svc: Service) -> None:
    svc.store.presign_upload(KEY, {"uploaded-by": "admin:alice", "status": "released"}, 900)
    svc.clock.advance(minutes=16)
    upload = svc.upload(KEY, bridge_zip(), principal="AIDAEXAMPLE:bob", status="released")

    record = svc.ingest(upload)

    assert record.status is Status.DRAFT
    entry = audit(svc, "register")
    assert entry.actor == "packager for S3 principal AIDAEXAMPLE:bob"
    assert any("grant for this key expired" in note for note in entry.after["notes"])
