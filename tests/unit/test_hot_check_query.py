"""How check-update's fast path reads a query string: as the app's query model does, or not at all
(the check is then the app's, which answers the refusal)."""

from __future__ import annotations

import pytest

from chalicelib.api.hot_check import Leave, Stated, _stated


def test_the_parameters_it_reads_are_read_and_any_other_is_ignored() -> None:
    assert _stated({"installed_version": "1.0.0", "php": "8.2.7-1~deb12u1", "utm_source": "x"}) == Stated(
        installed_version="1.0.0", php="8.2.7-1~deb12u1"
    )
    assert _stated(None) == Stated()


@pytest.mark.parametrize(
    "query",
    [
        {"channel": "nightly"},
        {"channel": ""},
        {"current_version": "1.0.0\ud800"},  # a lone surrogate: the app refuses it as invalid Unicode
        {"\udfff": "1.0.0"},
    ],
)
def test_what_the_app_would_refuse_is_left_to_it(query: dict[str, str]) -> None:
    with pytest.raises(Leave):
        _stated(query)
