"""The local stand-in for the two APIs' routing: a path below /api is the admin API's exactly when
its first segment is ``admin`` (deployed, the admin API is its own REST API)."""

from __future__ import annotations

import pytest

from infra.local_gateway import is_admin_route


@pytest.mark.parametrize("route", ["/admin", "/admin/plugins", "/admin/openapi.json", "/admin/console/x"])
def test_the_admin_apis_paths_go_to_the_admin_app(route: str) -> None:
    assert is_admin_route(route)


@pytest.mark.parametrize(
    "route", ["/", "/openapi.json", "/plugins/admin/info", "/administrator", "/admins/x", "/keys"]
)
def test_every_other_path_goes_to_the_public_app(route: str) -> None:
    assert not is_admin_route(route)
