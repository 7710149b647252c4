"""Why a source archive is refused: the stable reason codes and the one exception that carries them."""

from __future__ import annotations

from chalicelib.logic.grammar import SLUG_RULE

# Every code a PackagingError can carry, with what it means for the admin who uploaded the source.
# The codes are stable: they are stored on failed version records and listed in the README.
REASON_CODES: dict[str, str] = {
    "invalid_slug": f"the plugin slug is not {SLUG_RULE}",
    "invalid_version": "the version does not start with a digit, has characters other than letters, "
    "digits and single '.', '-', '+' or '_' between them, a number over 18 digits, or over 64 characters",
    "not_a_zip": "the source is neither a ZIP nor a gzip-compressed tar archive",
    "corrupt_archive": "the archive is damaged or cannot be read",
    "too_large": "the archive file, or its contents once uncompressed, exceed the size limit",
    "too_many_entries": "the archive has more entries than the limit",
    "unsafe_path": "an entry name is absolute, has a drive letter, '\\', NUL or another control "
    "character, or an empty, '.' or '..' segment",
    "invalid_name": "an entry name is not valid UTF-8 (or contains U+FFFD or lone surrogates)",
    "name_too_long": "an entry name has a segment over 255 bytes or is over 1024 bytes in UTF-8",
    "duplicate_entry": "two entries have the same name (also after Unicode NFC normalisation and "
    "case-folding), or a name is both a file and a folder",
    "symlink": "an entry is a symbolic link (or, in a tar, a hard link)",
    "special_file": "an entry is neither a regular file nor a folder (FIFO, device, socket...)",
    "encrypted": "an entry is encrypted",
    "unsupported_compression": "an entry uses a compression method other than stored or deflate",
    "compression_ratio": "an entry over 1 MiB inflates more than the ratio limit (200:1 by default)",
    "overlapping_entries": "entries of the ZIP share or overlap their bytes (a zip-bomb trick)",
    "nested_archive": "the plugin ships an archive (.zip, .phar, .tar, .gz, .tgz, .7z, .rar) over "
    "the nested-archive limit (1 MiB by default)",
    "empty_archive": "nothing is left to ship once excluded files are dropped",
    "no_plugin_header": "no top-level .php file has a 'Plugin Name:' header",
    "multiple_plugin_headers": "more than one top-level .php file has a 'Plugin Name:' header",
    "no_version": "no version was given and the plugin header (or package manifest) has none",
    "version_not_stamped": "the version could not be written into the plugin header (or package manifest)",
    "no_manifest": "a custom or Shopify source has neither package.json nor manifest.json at the top",
    "invalid_manifest": 'the package manifest is not a UTF-8 JSON object with a string "name"',
}


class PackagingError(Exception):
    """A source archive we refuse to package; the reason is recorded on the failed version.

    ``code`` is stable and machine-readable (it ends up in the version record and the admin API);
    ``message`` is for the admin who has to fix the upload.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
