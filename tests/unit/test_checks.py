"""check-update's answers are built as plain JSON (``logic/checks.py``, for the fast path), so each
shape is checked here against its one declaration (``answers.UpdateOffer``, ``NoUpdate``,
``NothingToShow``): validated, and dumped back to the same keys in the same order, with the same
values. A key renamed, added or reordered in either place fails here."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.logic.answers import CheckUpdateAnswer, NothingToShow, NoUpdate, UpdateOffer
from chalicelib.logic.decision import SiteRequest
from chalicelib.logic.model import PluginVersion, Status
from tests.unit.test_updates import LINKS, OUT_10, check_update, make_plugin, make_version

SIGNED = {"sha384": "c" * 96, "signature": "c2lnbmF0dXJl", "signature_key_id": "k-2026"}


def _cases() -> list[tuple[str, list[PluginVersion], SiteRequest, type]]:
    newer = make_version("1.1.0", requires="6.0", tested="6.6", requires_php="8.1", **SIGNED)
    return [
        ("a signed offer", [newer, make_version("1.0.0")], SiteRequest("1.0.0"), UpdateOffer),
        ("an unsigned offer", [make_version("1.1.0")], SiteRequest("1.0.0"), UpdateOffer),
        (
            "a forced offer",
            [make_version("1.2.0"), make_version("1.1.0", force_update=True)],
            SiteRequest("1.0.0"),
            UpdateOffer,
        ),
        ("up to date", [make_version("1.0.0", **SIGNED)], SiteRequest("1.0.0"), NoUpdate),
        (
            "held back by the rollout",
            [make_version("1.1.0", rollout_percent=10), make_version("1.0.0")],
            SiteRequest("1.0.0", site_id=OUT_10),
            NoUpdate,
        ),
        (
            "needs a newer WordPress",
            [newer, make_version("1.0.0")],
            SiteRequest("1.0.0", wp_version="5.9"),
            NoUpdate,
        ),
        ("nothing released", [make_version("1.1.0", Status.DRAFT)], SiteRequest("1.0.0"), NothingToShow),
        (
            "below every release",
            [make_version("2.0.0", rollout_percent=10)],
            SiteRequest("1.0.0"),
            NothingToShow,
        ),
    ]


CASES = _cases()


@pytest.mark.parametrize(("versions", "site", "shape"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_answer_is_exactly_its_declared_shape(
    versions: list[PluginVersion], site: SiteRequest, shape: type
) -> None:
    answer = check_update(make_plugin(), versions, site, LINKS)
    sealed = {**answer, "signed_at": "2026-11-29T19:00:00Z", "expires": "2026-11-30T19:00:00Z"}
    fields = {key: value for key, value in sealed.items() if key != "checksum"}  # computed, not given
    model = CheckUpdateAnswer.model_validate(fields).root
    assert type(model) is shape
    dumped: dict[str, Any] = model.json_body()
    assert list(dumped) == list(sealed)
    assert dumped == sealed


def test_a_key_the_declaration_lacks_is_refused_by_it() -> None:
    """The check above could not fail if the models accepted any key: they do not."""
    answer = check_update(make_plugin(), [make_version("1.1.0")], SiteRequest("1.0.0"), LINKS)
    with pytest.raises(ValueError, match="surprise"):
        UpdateOffer.model_validate({**answer, "surprise": 1})
