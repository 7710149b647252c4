"""Version ordering must match what WordPress (PHP's version_compare) decides on every site."""

from __future__ import annotations

import itertools
import json
import random
import shutil
import subprocess

import pytest

from chalicelib.logic.versions import (
    InvalidVersion,
    latest,
    normalize_version,
    sort_key,
    version_code,
    version_compare,
)

# (a, b, version_compare(a, b) as PHP returns it). Every row was checked against PHP 8.2.
PHP_RESULTS = [
    # Plain numeric ordering is numeric, not lexical.
    ("1.10.0", "1.9.0", 1),
    ("10", "9", 1),
    ("1.0.0", "1.0.0", 0),
    ("1.01", "1.1", 0),
    ("1.0.10", "1.0.9", 1),
    # Pre-releases: dev < alpha = a < beta = b < RC = rc < release < pl = p.
    ("1.2.0-beta1", "1.2.0-RC1", -1),
    ("1.2.0-RC1", "1.2.0", -1),
    ("1.2.0-beta1", "1.2.0", -1),
    ("1.2.0-alpha", "1.2.0-beta", -1),
    ("1.0.0-dev", "1.0.0-alpha", -1),
    ("1.0.0-RC2", "1.0.0-RC10", -1),
    ("1.0-alpha", "1.0-a", 0),
    ("1.0-b1", "1.0-beta1", 0),
    ("1.0RC1", "1.0rc1", 0),
    ("1.0-pl1", "1.0", 1),
    ("1.0-pl1", "1.0.1", 1),  # "pl" outranks a number, so a patch level beats the next release
    ("1.0-patch", "1.0-pl", 0),
    # Separators and digit/letter boundaries are all the same thing.
    ("1.0rc1", "1.0-rc1", 0),
    ("1.0-rc1", "1.0.rc.1", 0),
    ("1.0rc1", "1.0.rc.1", 0),
    ("1_0+1", "1.0.1", 0),
    # Extra parts: a number makes a version greater, and a name is weighed against "a number".
    ("1.0", "1.0.0", -1),
    ("5.2", "5.2.0", -1),
    ("1.0.0", "1.0.0.1", -1),
    ("1.0.0", "1.0.0-0", -1),
    ("1.0.a", "1.0", -1),
    ("1.0", "1.0.pl", -1),
    ("1.0", "1.0.0-dev", -1),
    ("1.0.0-dev", "1.0", 1),
    # Case-sensitive prefix matching: unknown names rank below dev and tie with each other.
    ("1.0.0-Alpha", "1.0.0-dev", -1),
    ("1.0.0-foo", "1.0.0-dev", -1),
    ("1.0.0-Alpha", "1.0.0-foo", 0),
    ("1.0Rc1", "1.0rc1", -1),
    ("1.0-final", "1.0-dev", -1),
    ("1.0-devel", "1.0-dev", 0),
    ("1.0.0+build.5", "1.0.0", -1),  # "build" starts with "b", so it is a beta
    # Empty strings.
    ("", "", 0),
    ("", "0", -1),
    ("0", "", 1),
    ("", "1.0", -1),
    # Oddities that only version_compare (never normalize_version) has to cope with.
    (" 1.0", "1.0", -1),
    ("1..0", "1.0", 0),
    ("1.0", "1.0.", 1),
    ("1.", "1.", -1),
    ("1/2", "1.2", -1),
    ("#1", "1", 0),
    ("1.2.3\x00junk", "1.2.3", 0),
    ("1é", "1", -1),
    ("99999999999999999999", "99999999999999999998", 0),  # strtol() saturates at LONG_MAX
]


@pytest.mark.parametrize(("a", "b", "expected"), PHP_RESULTS)
def test_version_compare_matches_php(a: str, b: str, expected: int) -> None:
    assert version_compare(a, b) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [row for row in PHP_RESULTS if row[:2] != ("1.", "1.")])
def test_version_compare_is_antisymmetric_on_php_table(a: str, b: str, expected: int) -> None:
    assert version_compare(b, a) == -expected


_NUMBERS = [
    "0",
    "00",
    "1",
    "01",
    "2",
    "9",
    "10",
    "010",
    "99",
    "100",
    "999999999999999999",
    "000000000000000001",
]
_WORDS = [
    "dev",
    "devel",
    "alpha",
    "a",
    "beta",
    "b",
    "build",
    "RC",
    "rc",
    "pl",
    "p",
    "patch",
    "Alpha",
    "Rc",
    "foo",
]
_SEPARATORS = [".", ".", ".", "-", "+", "_", ""]


def _accepted_versions(seed: int, count: int) -> list[str]:
    """Versions that normalize_version accepts, packed with near-ties (leading zeros, aliases, separators)."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        text = rng.choice(_NUMBERS)
        for _ in range(rng.randint(0, 4)):
            text += rng.choice(_SEPARATORS) + rng.choice(_NUMBERS + _WORDS)
        try:
            found.add(normalize_version(text))
        except InvalidVersion:
            continue
    return sorted(found)


_JUNK = ["0", "1", "01", "10", "dev", "a", "beta", "RC", "rc", "pl", "p", "Alpha", "foo", "#", "#N#"]
_JUNK += [".", "..", "-", "_", "+", " ", "/", "é", "\x00", ""]


def _junk_version(rng: random.Random) -> str:
    return "".join(rng.choice(_JUNK) for _ in range(rng.randint(0, 6)))


def test_version_compare_agrees_with_real_php() -> None:
    php = shutil.which("php")
    if php is None:
        pytest.skip("php is not installed")
    rng = random.Random(20240611)
    accepted = _accepted_versions(seed=3, count=200)
    pairs = [(rng.choice(accepted), rng.choice(accepted)) for _ in range(300)]
    pairs += [(_junk_version(rng), _junk_version(rng)) for _ in range(300)]
    pairs += [(a, b) for a, b, _ in PHP_RESULTS]
    script = (
        "$pairs = json_decode(stream_get_contents(STDIN));"
        'foreach ($pairs as [$a, $b]) { echo version_compare($a, $b), "\\n"; }'
    )
    completed = subprocess.run(
        [php, "-r", script], input=json.dumps(pairs), capture_output=True, text=True, check=True, timeout=30
    )
    php_results = [int(line) for line in completed.stdout.split()]
    assert len(php_results) == len(pairs)
    mismatches = [
        (a, b, want) for (a, b), want in zip(pairs, php_results, strict=True) if version_compare(a, b) != want
    ]
    assert mismatches == []


def test_sort_key_orders_exactly_like_version_compare() -> None:
    versions = _accepted_versions(seed=1, count=260)
    keys = {version: sort_key(version) for version in versions}
    for a, b in itertools.combinations_with_replacement(versions, 2):
        key_order = (keys[a] > keys[b]) - (keys[a] < keys[b])
        assert key_order == version_compare(a, b), (a, b, keys[a], keys[b])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.01", "1.1"),
        ("1.0-alpha", "1.0-a"),
        ("1.0rc1", "1.0-rc1"),
        ("1.0-rc1", "1.0.rc.1"),
        ("1.0-foo", "1.0-Alpha"),
    ],
)
def test_sort_key_is_equal_for_versions_php_considers_equal(a: str, b: str) -> None:
    assert sort_key(a) == sort_key(b)


def test_sort_key_sorts_a_release_history_like_wordpress() -> None:
    history = [
        "1.10.0",
        "1.2.0",
        "1.2.0-RC1",
        "1.9.0",
        "1.2.0-beta1",
        "1.2.0-alpha",
        "1.0-pl1",
        "1.0",
        "1.0.0",
    ]
    newest_first = sorted(history, key=sort_key, reverse=True)
    assert newest_first == [
        "1.10.0",
        "1.9.0",
        "1.2.0",
        "1.2.0-RC1",
        "1.2.0-beta1",
        "1.2.0-alpha",
        "1.0-pl1",
        "1.0.0",
        "1.0",
    ]


def test_sort_key_is_plain_ascii_and_fits_a_dynamodb_key() -> None:
    longest = "1a" * 32
    for version in ["1", "1.2.3-RC1", "999999999999999999.0", longest]:
        assert sort_key(version).isascii()
    assert len(sort_key(longest)) < 1024


def test_sort_key_strips_whitespace_and_rejects_invalid_versions() -> None:
    assert sort_key(" 1.2.3\n") == sort_key("1.2.3")
    with pytest.raises(InvalidVersion):
        sort_key("v1.0")


@pytest.mark.parametrize(
    "text",
    [
        *["1", "1.0", "1.2.3", "1.2.0-beta1", "1.2.0-RC1", "2.0.0rc2", "1.0.0+build.5", "1.0-pl1", "1_0"],
        "9" * 18,
    ],
)
def test_normalize_version_accepts(text: str) -> None:
    assert normalize_version(text) == text


def test_normalize_version_strips_surrounding_whitespace() -> None:
    assert normalize_version("  1.2.3\t\n") == "1.2.3"


@pytest.mark.parametrize(
    "text",
    [
        *["", "   ", "banana", "v1.0", "1..2", "1.2.", ".1", "1 2", "1.2/3", "x" * 65, "1.", "1.2.3\x00"],
        *["1" + ".0" * 32, "1-.2", "1.2--3", "1.0é", "9" * 19, "1.0000000000000000001"],
    ],
)
def test_normalize_version_rejects(text: str) -> None:
    with pytest.raises(InvalidVersion):
        normalize_version(text)


def test_invalid_version_message_names_the_input() -> None:
    with pytest.raises(InvalidVersion, match=r"^'banana' is not a valid version"):
        normalize_version("banana")
    assert issubclass(InvalidVersion, ValueError)


def test_normalize_version_rejects_non_strings() -> None:
    with pytest.raises(InvalidVersion):
        normalize_version(1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("version", "code"),
    [
        *[("1.0.1", 10001), ("1.2.3", 10203), ("2.0.0", 20000), ("1", 10000), ("1.2", 10200)],
        *[("1.2.3.4", 10203), ("1.2.0-beta1", 10200), ("2.0.0rc2", 20000), ("3-pl1", 30000)],
    ],
)
def test_version_code(version: str, code: int) -> None:
    assert version_code(version) == code


def test_version_code_collides_which_is_why_it_never_sorts() -> None:
    assert version_code("1.100.0") == version_code("2.0.0") == 20000
    assert version_compare("1.100.0", "2.0.0") == -1


def test_version_code_rejects_invalid_versions() -> None:
    with pytest.raises(InvalidVersion):
        version_code("banana")


def test_latest_picks_the_php_highest() -> None:
    assert latest(["1.9.0", "1.10.0-RC1", "1.10.0", "1.2.0"]) == "1.10.0"
    assert latest(["1.0", "1.0.0"]) == "1.0.0"
    assert latest(["1.0.0-beta", "1.0.0-alpha"]) == "1.0.0-beta"
    assert latest(iter(["2.0"])) == "2.0"


def test_latest_of_nothing_is_none() -> None:
    assert latest([]) is None


def test_latest_keeps_the_first_of_php_equal_versions() -> None:
    assert latest(["1.01", "1.1"]) == "1.01"
    assert latest(["1.1", "1.01"]) == "1.1"
