"""Turn an uploaded plugin *source* archive into the exact ZIP that sites install.

Thousands of sites download these bytes and check them against the SHA-256 (and the signature
made over it), so the package must be a pure function of the source: the same upload always
gives the same bytes, whatever the clock, umask or machine. The source itself is untrusted (an
admin's laptop, a CI artifact, a GitHub "Download ZIP"), so every entry is checked before any of
it is read, and sizes are counted as bytes are inflated rather than taken from the headers.

The source is copied entry by entry straight into the output ZIP (nothing is extracted to disk);
only the files that are stamped or parsed (PHP files, ``readme.txt``) are held in memory, one at
a time. A ``.tar.gz`` source (recognised by its gzip magic bytes, whatever its name) is streamed
once into a scratch ZIP inside ``workdir``, vetted on the way, and then follows the same path, so
a tar and a zip of the same files give byte-identical packages.

Two kinds of plugin share that whole pipeline and differ only in the file that carries the
version: WordPress plugins (:func:`build_wordpress_package`: the PHP plugin header,
``*_VERSION`` constants and ``readme.txt``) and ``custom``/``shopify`` packages
(:func:`build_generic_package`: the top-level ``version`` of ``package.json`` or
``manifest.json``). Every refusal is a :class:`PackagingError` whose ``code`` is one of
:data:`REASON_CODES`.

One job a module: ``errors`` (reason codes), ``limits``, ``names`` (entry-name checks),
``distignore`` (what never ships), ``archive`` (reading and vetting zip and tar.gz sources),
``header`` (the plugin header), ``stamping`` (writing the version into a WordPress plugin),
``manifest`` (custom/Shopify ``package.json``), ``flavours`` (what differs between kinds of
plugin), ``writer`` (the deterministic ZIP) and ``build`` (the pipeline). ``readme.txt`` is
parsed by :mod:`chalicelib.logic.readme`, which the update API shares.
"""

from chalicelib.logic.packaging.build import BuiltPackage, build_generic_package, build_wordpress_package
from chalicelib.logic.packaging.distignore import DEFAULT_EXCLUSIONS
from chalicelib.logic.packaging.errors import REASON_CODES, PackagingError
from chalicelib.logic.packaging.header import read_header
from chalicelib.logic.packaging.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "DEFAULT_EXCLUSIONS",
    "DEFAULT_LIMITS",
    "REASON_CODES",
    "BuiltPackage",
    "Limits",
    "PackagingError",
    "build_generic_package",
    "build_wordpress_package",
    "read_header",
]
