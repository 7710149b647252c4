"""Plugin version ordering that agrees with PHP's ``version_compare()``.

WordPress decides whether a site needs an update by calling PHP's ``version_compare()`` on the
version we advertise. If our idea of "newest" differed from PHP's in even one case, we would
either advertise an update that WordPress then ignores, or hold back one it would have installed.
So ``version_compare`` here is a faithful port of ``ext/standard/versioning.c``, including its
quirks. It works on bytes, like the C code does, because its rules are defined per byte.
``sort_key`` turns that order into a plain string, so DynamoDB can keep versions in PHP order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cmp_to_key

__all__ = ["InvalidVersion", "latest", "normalize_version", "sort_key", "version_code", "version_compare"]


class InvalidVersion(ValueError):
    """A version string we refuse to store or key on.

    It subclasses ValueError so that generic "bad input" handlers map it to a client error
    without knowing about this module.
    """


_DOT = ord(".")
_HASH = ord("#")
_SPECIAL_SEPARATORS = frozenset(b"-_+")
# What PHP puts in for "a number" when a number is compared with a name, or when one version
# runs out of parts before the other. It ranks as "#".
_NUMBER_FORM = b"#N#"
# strtol() saturates at LONG_MAX (64-bit on the Linux hosts that run WordPress), so all huge
# numeric parts compare equal in PHP.
_LONG_MAX = 2**63 - 1
_UNKNOWN_FORM = -1
# PHP picks the first entry that is a case-sensitive *prefix* of the part. So "build" counts as
# "b" (beta), "patch" as "p" (pl) and "Alpha" as unknown. Anything unknown ranks below "dev".
_SPECIAL_FORMS: tuple[tuple[bytes, int], ...] = (
    (b"dev", 0),
    (b"alpha", 1),
    (b"a", 1),
    (b"beta", 2),
    (b"b", 2),
    (b"RC", 3),
    (b"rc", 3),
    (b"#", 4),
    (b"pl", 5),
    (b"p", 5),
)


def _isdigit(byte: int) -> bool:
    """ASCII-only test, as in the C locale: bytes of UTF-8 characters are never digits."""
    return 0x30 <= byte <= 0x39


def _isalnum(byte: int) -> bool:
    """ASCII-only test, as in the C locale: bytes of UTF-8 characters are never letters."""
    return _isdigit(byte) or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _append_dot(out: bytearray) -> None:
    if out[-1] != _DOT:
        out.append(_DOT)


def _canonicalize(version: bytes) -> bytes:
    """Port of php_canonicalize_version(), quirks included.

    Quirks: the first byte is copied as it is. The input byte before the current one decides
    whether there is a digit/non-digit boundary; the output byte does not. A byte that is not
    alphanumeric but sits on such a boundary is kept (``"1/2"`` -> ``"1./.2"``), while other
    non-alphanumeric bytes become a single dot.
    """
    if not version:
        return version
    out = bytearray(version[:1])
    previous = version[0]
    for byte in version[1:]:
        boundary = (_isdigit(previous) and not _isdigit(byte) and byte != _DOT) or (
            not _isdigit(previous) and previous != _DOT and _isdigit(byte)
        )
        if byte in _SPECIAL_SEPARATORS:
            _append_dot(out)
        elif boundary:
            _append_dot(out)
            out.append(byte)
        elif not _isalnum(byte):
            _append_dot(out)
        else:
            out.append(byte)
        previous = byte
    return bytes(out)


def _special_form_rank(part: bytes) -> int:
    for prefix, rank in _SPECIAL_FORMS:
        if part.startswith(prefix):
            return rank
    return _UNKNOWN_FORM


def _strtol(part: bytes) -> int:
    """strtol(part, NULL, 10) for a part that starts with a digit: leading digits, capped at LONG_MAX."""
    digits = len(part) - len(part.lstrip(b"0123456789"))
    return min(int(part[:digits]), _LONG_MAX)


def _compare_parts(part1: bytes, part2: bytes) -> int:
    digit1 = part1[:1].isdigit()
    digit2 = part2[:1].isdigit()
    if digit1 and digit2:
        return _sign(_strtol(part1) - _strtol(part2))
    return _sign(
        _special_form_rank(_NUMBER_FORM if digit1 else part1)
        - _special_form_rank(_NUMBER_FORM if digit2 else part2)
    )


def _php_version_compare(orig1: bytes, orig2: bytes) -> int:
    """Port of php_version_compare(). It walks the strings with pointers, the way the C code does.

    Splitting on dots first would lose behaviour that PHP users can see. A trailing empty part
    ends the walk but an empty part in the middle does not. That is why ``"1."`` < ``"1."``, and
    why the leftover tail is compared again from scratch (re-canonicalised unless it starts with
    ``#``) against ``"#N#"``.
    """
    if not orig1 or not orig2:
        return bool(orig1) - bool(orig2)
    ver1 = orig1 if orig1[0] == _HASH else _canonicalize(orig1)
    ver2 = orig2 if orig2[0] == _HASH else _canonicalize(orig2)
    pos1 = pos2 = 0
    # C initialises n1/n2 to the string itself: "not NULL" means "there may be more parts".
    dot1: int | None = 0
    dot2: int | None = 0
    compare = 0
    while pos1 < len(ver1) and pos2 < len(ver2) and dot1 is not None and dot2 is not None:
        dot1 = ver1.find(b".", pos1)
        dot1 = None if dot1 < 0 else dot1
        dot2 = ver2.find(b".", pos2)
        dot2 = None if dot2 < 0 else dot2
        compare = _compare_parts(ver1[pos1:dot1], ver2[pos2:dot2])
        if compare != 0:
            break
        if dot1 is not None:
            pos1 = dot1 + 1
        if dot2 is not None:
            pos2 = dot2 + 1
    if compare == 0:
        if dot1 is not None:
            rest1 = ver1[pos1:]
            compare = 1 if rest1[:1].isdigit() else _php_version_compare(rest1, _NUMBER_FORM)
        elif dot2 is not None:
            rest2 = ver2[pos2:]
            compare = -1 if rest2[:1].isdigit() else _php_version_compare(_NUMBER_FORM, rest2)
    return compare


def _as_c_string(text: str) -> bytes:
    """Give the bytes PHP's C code sees: UTF-8, cut at the first NUL, because the C code uses strlen()."""
    return text.encode("utf-8", "surrogatepass").partition(b"\0")[0]


def version_compare(a: str, b: str) -> int:
    """Exact port of PHP ``version_compare($a, $b)``: returns -1, 0 or 1, for ANY input strings.

    Use this to decide whether a site needs an update, because WordPress makes the same call.
    The result is not a sound total order for arbitrary garbage strings (e.g. ``"1."`` < ``"1."``),
    so only ``normalize_version`` output should be stored or sorted.
    """
    return _php_version_compare(_as_c_string(a), _as_c_string(b))


_MAX_VERSION_LENGTH = 64
_MAX_NUMBER_DIGITS = 18  # keeps every numeric part below LONG_MAX, so PHP never saturates it
_VERSION_GRAMMAR = re.compile(r"[0-9][0-9A-Za-z]*(?:[.+_-][0-9A-Za-z]+)*")
_ALLOWED_CHARS = re.compile(r"[0-9A-Za-z.+_-]*")


def _reject(text: str, reason: str) -> InvalidVersion:
    return InvalidVersion(f"{text!r} is not a valid version: {reason}")


def normalize_version(text: str) -> str:
    """Validate a version string we accept from admins, sites and archives; return it stripped of
    surrounding whitespace.

    The grammar is strict on purpose. Within it, PHP's comparison is a real total order that
    ``sort_key`` reproduces exactly. It also keeps out strings that PHP orders in odd ways
    (leading ``v``, empty parts, separators other than ``.-+_``). Numeric runs are capped at 18
    digits so that PHP's strtol() never saturates them.
    """
    if not isinstance(text, str):  # values arrive from JSON bodies and archive headers
        raise _reject(text, "it must be a string")
    version = text.strip()
    if not version:
        raise _reject(text, "it is empty")
    if len(version) > _MAX_VERSION_LENGTH:
        raise _reject(text, f"it is longer than {_MAX_VERSION_LENGTH} characters")
    if not _ALLOWED_CHARS.fullmatch(version):
        raise _reject(text, "only letters, digits and the separators . - + _ are allowed")
    if not version[0].isdigit():
        raise _reject(text, "it must start with a digit")
    if not _VERSION_GRAMMAR.fullmatch(version):
        raise _reject(text, "separators must sit between letters or digits, one at a time")
    if any(len(run) > _MAX_NUMBER_DIGITS for run in re.findall(r"[0-9]+", version)):
        raise _reject(text, f"numbers may have at most {_MAX_NUMBER_DIGITS} digits")
    return version


# sort_key token classes. A version is one token per canonical part, then _END. Each class is
# one byte, and number tokens carry their own length, so no token is a prefix of a different
# token. Comparing two keys byte by byte therefore compares the first differing part, which is
# what PHP does. PHP ranks a missing part against a name the way it ranks "#": above dev, a, b,
# RC and unknown, and below pl. Against a number, a missing part is always lower. So _END sits
# between the RC class and the number class.
_CLASS_BY_RANK = {_UNKNOWN_FORM: "0", 0: "1", 1: "2", 2: "3", 3: "4", 5: "7"}
_END = "5"
_NUMBER_CLASS = "6"


def sort_key(version: str) -> str:
    """A plain ASCII string whose lexicographic (byte) order equals version_compare order, for
    every version that normalize_version accepts. It is the DynamoDB range key, so versions can be
    queried newest-first without a scan.

    Versions that PHP considers equal (e.g. ``1.01`` and ``1.1``, or ``1.0-alpha`` and ``1.0-a``)
    get the same key. Numbers are stored without leading zeros, behind a two-digit length, and
    names collapse to their PHP rank. Keys stay short (at most 161 chars for a 64-char version).
    """
    canonical = _canonicalize(normalize_version(version).encode("ascii"))
    tokens = []
    for part in canonical.split(b"."):
        if part[:1].isdigit():
            digits = part.decode("ascii").lstrip("0") or "0"
            tokens.append(f"{_NUMBER_CLASS}{len(digits):02d}{digits}")
        else:
            tokens.append(_CLASS_BY_RANK[_special_form_rank(part)])
    tokens.append(_END)
    return "".join(tokens)


def version_code(version: str) -> int:
    """The seed's legacy ``MAJOR*10000 + MINOR*100 + PATCH``, kept for old clients.

    Missing parts count as 0, and only the numeric parts at the start are used, so
    ``2.0.0rc2`` -> 20000. It is stored but never used to sort, because it collides
    (``1.100.0`` == ``2.0.0``).
    """
    canonical = _canonicalize(normalize_version(version).encode("ascii"))
    numbers: list[int] = []
    for part in canonical.split(b".")[:3]:
        if not part.isdigit():
            break
        numbers.append(int(part))
    major, minor, patch = [*numbers, 0, 0, 0][:3]
    return major * 10000 + minor * 100 + patch


def latest(versions: Iterable[str]) -> str | None:
    """The highest version per version_compare, or None when there are none.

    If several are equal in PHP's eyes (``1.1`` and ``1.01``), the first one wins, so callers
    get a predictable answer.
    """
    return max(versions, key=cmp_to_key(version_compare), default=None)
