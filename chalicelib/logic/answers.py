"""What the public and site routes answer, declared once: the JSON that WordPress, plugin-update-checker
(PUC), the bridge and the seed's front-end read.

``logic/updates.py`` builds these and hands the routes their JSON (``json_body()``); each route
declares its model (``api/routing.route(response=...)``), so the OpenAPI document publishes its
``model_json_schema(mode="serialization")`` and the contract fuzzer checks every real answer
against it. So each schema says exactly what is sent: every key that is always sent is
required, null only where null occurs, no key beyond the declared ones (``additionalProperties:
false``), ``format`` only where it always holds. Where an answer has several shapes (check-update with
or without a version to describe, the keys before and after a root signed them) it is a union of
exact shapes rather than one shape with optional keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema, computed_field

from chalicelib.logic.attribute_docs import describe_fields
from chalicelib.logic.checks import Reason
from chalicelib.logic.model import CHANNELS, Installation, Moment, Platform

#: One of the service's channels.
ChannelName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(CHANNELS)})]
#: A URL the service made (its own links, a presigned package URL): always absolute.
Link = Annotated[str, WithJsonSchema({"type": "string", "format": "uri"})]
#: A timestamp that arrives already written (``model.iso``'s form, or ``infra/keys.py``'s, the same).
MomentText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
#: A map WordPress reads for images (``1x``, ``2x``, ``svg``...); none are published yet.
Images = dict[str, Link]
#: A details tab's HTML: left out of the answer when empty.
Tab = Annotated[str, Field(exclude_if=lambda text: not text)]


class Answer(BaseModel):
    """A JSON answer: exactly the declared keys, every one always present unless declared absent."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # Field docstrings become descriptions when a schema is generated, not at import (Cold starts).
        json_schema_extra=describe_fields,
        json_schema_serialization_defaults_required=True,
        # Built on first use: a function builds only the answers its routes give (Cold starts).
        defer_build=True,
    )

    def json_body(self) -> dict[str, Any]:
        """The body a route returns: what the serialization schema describes."""
        return self.model_dump(mode="json")


Shape = TypeVar("Shape", bound=Answer)


class OneOf(RootModel[Shape], Generic[Shape]):
    """An answer with several exact shapes. Deferred like ``Answer``: a plain ``RootModel[...]``
    builds its schema, and every shape's, when the class is created, at import."""

    model_config = ConfigDict(defer_build=True)

    def json_body(self) -> dict[str, Any]:
        """The body a route returns: the shape's own (``Answer.json_body``)."""
        return self.root.json_body()


class Package(Answer):
    """What a site checks a downloaded package against."""

    file_size: int = Field(ge=0)
    """The package's size in bytes."""
    sha256: str
    """SHA-256 of the package, hex."""


class SeedPackage(Package):
    """``Package`` with the seed's name for the digest, which its clients still read."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def checksum(self) -> str:
        """The seed's name for ``sha256`` (the same value)."""
        return self.sha256


class Integrity(Answer):
    """What a site needs to verify a package as WordPress' ``verify_file_signature()`` does: an
    Ed25519 signature over the raw SHA-384 digest, checked against a key from ``GET /keys/``. All
    null for a version packaged before signing existed."""

    sha384: str | None
    """SHA-384 of the package, hex: the digest that is signed."""
    signature: str | None
    """Base64 Ed25519 signature over the raw SHA-384 digest."""
    signature_key_id: str | None
    """The signing key's id in ``GET /keys/``."""
    signature_algorithm: Literal["ed25519"] | None
    """Set when ``signature`` is."""
    signature_url: Link | None
    """The signature as a ``.sig`` file, the form WordPress fetches; set when ``signature`` is."""


class Requirements(Answer):
    """The version's readme/header requirements, as WordPress compares them."""

    requires: str | None
    """The lowest WordPress version it supports."""
    tested: str | None
    """The highest WordPress version it was tested on."""
    requires_php: str | None
    """The lowest PHP version it supports."""


class WordPressUpdateItem(Requirements):
    """The object WordPress keeps in ``update_plugins->response`` (or ``no_update``) for a plugin:
    sent also when there is no update, since WordPress shows the auto-update toggle only for plugins
    it finds in one of those two lists."""

    id: Link
    """The plugin's info URL (WordPress wants a stable id)."""
    slug: str
    """The plugin's folder name."""
    plugin: str
    """``slug/main_file.php``: how WordPress keys an installed plugin."""
    new_version: str
    """The version described."""
    package: Link
    """Where WordPress downloads it: our download link, pinned to that version."""
    url: str
    """The header's Plugin URI (as written by its author), else our info URL."""
    icons: Images = Field(default_factory=dict)
    """Plugin icons by size (none published: empty)."""
    banners: Images = Field(default_factory=dict)
    """Details banners by size (none published: empty)."""
    upgrade_notice: str
    """This version's readme ``Upgrade Notice`` paragraph, as text (empty if none)."""
    autoupdate: bool
    """A forced update: WordPress installs it without asking the site's admin."""


def _sent_filled(schema: dict[str, Any]) -> None:
    """A field the route always fills before sending: its placeholder default is never sent, so
    the schema does not publish it (it would not be a date-time)."""
    schema.pop("default", None)


class Signed(Answer):
    """When the answer was signed and until when a site may believe it: inside the body, so the
    signature over the body's bytes (``X-IGNY8-Signature``, ``logic/metadata_signing.py``) binds
    them. Filled by the route as it signs (``api/signed.py``)."""

    signed_at: MomentText = Field(default="", json_schema_extra=_sent_filled)
    """When the service signed the answer (rounded down to 10 minutes)."""
    expires: MomentText = Field(default="", json_schema_extra=_sent_filled)
    """After this moment sites refuse the answer (24 h after ``signed_at``): a replay cannot
    freeze a site on an old answer for longer."""


class CheckUpdateFacts(Signed):
    """What every check-update answer states."""

    slug: str
    """The plugin asked about."""
    current_version: str
    """The version the site said it runs, normalized."""
    channel: ChannelName
    """The channel the site asked for (``stable`` by default)."""
    info_url: Link
    """The plugin's ``info`` route (WordPress' details modal)."""


class NothingToShow(CheckUpdateFacts):
    """No offer, and no released version at or below the site's own to describe."""

    update_available: Literal[False] = False
    """Never, in this shape."""
    reason: Reason
    """Why nothing is offered."""
    latest_version: None = None
    """Nothing to name."""
    force_update: Literal[False] = False
    """Never, in this shape."""


class NamedVersion(CheckUpdateFacts):
    """A version named with WordPress' update item: enough for the ``no_update`` list, and small
    (a site that is up to date asks twice a day and needs nothing else)."""

    latest_version: str
    """The version described."""
    version_code: int
    """The seed's MAJOR*10000+MINOR*100+PATCH, for its clients only: never compare with it."""
    released_at: Moment | None
    """When it was released (a retired package key vouches only for releases before it retired)."""
    update: WordPressUpdateItem
    """The item WordPress stores in its update transient."""


class ShownVersion(NamedVersion, Requirements, SeedPackage, Integrity):
    """A version described in full, package and signature included: the one offered."""

    download_url: Link
    """Our download link, pinned to that version (WordPress caches an offer for hours)."""
    changelog: str
    """What changed in it, as written at release."""


class UpdateOffer(ShownVersion):
    """The site may and should update to ``latest_version``."""

    update_available: Literal[True] = True
    """Always, in this shape."""
    reason: None = None
    """Nothing held the offer back."""
    force_update: bool
    """The offer, or a forced release it skips over, must be installed without asking."""


class NoUpdate(NamedVersion):
    """No offer; ``latest_version`` is the newest version at or below the site's own (never one it
    was refused, e.g. held back by a rollout), as WordPress' ``no_update`` list wants it. Nothing
    will be downloaded, so no package, signature or changelog: at most 1 KB, signature included."""

    update_available: Literal[False] = False
    """Never, in this shape."""
    reason: Reason
    """Why nothing is offered."""
    force_update: Literal[False] = False
    """Never, in this shape."""


class CheckUpdateAnswer(OneOf[UpdateOffer | NoUpdate | NothingToShow]):
    """``GET /plugins/{slug}/check-update``: one of three exact shapes."""


class Sections(Answer):
    """The details modal's tabs, as HTML (WordPress prints them unescaped, as wordpress.org's):
    only the tabs with content are sent."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    description: Tab = ""
    """The readme's Description, else the header's, else the plugin's."""
    installation: Tab = ""
    """The readme's Installation."""
    changelog: Tab = ""
    """This version's changelog, then the readme's."""
    faq: Tab = ""
    """The readme's Frequently Asked Questions."""


class PluginInformation(Requirements, SeedPackage, Integrity, Signed):
    """``GET /plugins/{slug}/info``: WordPress' ``plugins_api`` answer, with plugin-update-checker's
    names alongside (PUC requires ``name`` and ``version`` and reads ``download_url``, ``sections``,
    ``upgrade_notice``...). It describes the version check-update would offer this caller."""

    name: str
    """The plugin's name (the header's Plugin Name, else the registered one)."""
    slug: str
    """The plugin's folder name."""
    version: str
    """The version described."""
    author: str
    """The header's Author (may be empty)."""
    author_profile: str
    """The header's Author URI, as written (may be empty)."""
    homepage: str
    """The header's Plugin URI, as written (may be empty)."""
    last_updated: str | None
    """When it was released, in wordpress.org's format (``2024-05-06 3:04pm GMT``)."""
    released_at: Moment | None
    """When it was released."""
    sections: Sections
    """The details modal's tabs."""
    upgrade_notice: str
    """This version's readme ``Upgrade Notice`` paragraph, as text (empty if none)."""
    download_link: Link
    """Our download link, pinned to that version."""
    banners: Images = Field(default_factory=dict)
    """Details banners by size (none published: empty)."""
    icons: Images = Field(default_factory=dict)
    """Plugin icons by size (none published: empty)."""
    versions: dict[str, Link]
    """Every downloadable version on the same channel, to its pinned download link."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def author_homepage(self) -> str:
        """PUC's name for ``author_profile`` (the same value)."""
        return self.author_profile

    @computed_field  # type: ignore[prop-decorator]
    @property
    def download_url(self) -> str:
        """PUC's name for ``download_link`` (the same value)."""
        return self.download_link


class LatestCard(Package):
    """``GET /plugins/{platform}/latest``: the seed front-end's "download our plugin" card, for the
    most recently released plugin this caller may see."""

    name: str
    """The plugin's name."""
    slug: str
    """The plugin's folder name."""
    platform: Platform
    """The platform asked about."""
    version: str
    """Its latest version rolled out to everyone."""
    download_url: Link
    """Our download link, pinned to that version."""
    info_url: Link
    """The plugin's ``info`` route."""
    released_at: Moment | None
    """When that version was released."""


class DownloadUrl(Package):
    """``GET /plugins/{slug}/download-url`` (site key): a short-lived link to the package itself."""

    url: Link
    """A presigned package URL; it stops working at ``expires_at``."""
    expires_at: MomentText
    """When ``url`` stops working."""
    version: str
    """The version served."""


class InstallationAnswer(Answer):
    """``POST register-installation``, ``register`` and ``health-check``: what the service now holds
    about this site's install of the plugin."""

    installation: Installation
    """The install, as the record's answer view shows it."""


class SigningKey(Answer):
    """A public key, as ``infra/keys.py`` publishes it: a package key or a metadata key."""

    key_id: str
    """The first 16 hex characters of SHA-256 over the public key."""
    algorithm: Literal["ed25519"]
    """Always Ed25519."""
    role: Literal["package", "metadata"]
    """What it may sign: packages, or check-update and info answers; never the other."""
    public_key: str
    """The raw public key, base64."""
    created_at: MomentText
    """When it was made."""
    status: Literal["active", "retired", "revoked"]
    """``active`` signs now, ``retired`` still vouches for what it signed before ``retired_at``,
    ``revoked`` for nothing."""
    retired_at: MomentText | None
    """When a rotation replaced it (null while active)."""


class RootKey(Answer):
    """A stage root key: it signs the key list, and packages pin it in ``igny8-trust.json``."""

    key_id: str
    """Its id."""
    algorithm: Literal["ed25519"]
    """Always Ed25519."""
    public_key: str
    """The raw public key, base64."""


class UnsignedKeys(Answer):
    """A stage whose keys were never published (``infra.keys ensure`` not run yet)."""

    keys: list[SigningKey]
    """The package-signing public keys, active and retired (old packages keep verifying)."""


class SignedKeys(UnsignedKeys):
    """The keys, and the same list signed by the stage's root key: sites accept a signing key only
    through ``key_list`` once its signature verifies with a root they pinned."""

    metadata_keys: list[SigningKey]
    """The keys that sign check-update and info answers, apart from ``keys``: a bridge from before
    roles existed trusts every entry of ``keys`` for packages."""
    roots: list[RootKey]
    """The root keys."""
    key_list: str
    """The signed statement, as the exact JSON text signed: verify these bytes, then parse them."""
    key_list_root_id: str
    """The root key that signed ``key_list``."""
    key_list_signature: str
    """Base64 Ed25519 signature over ``key_list``'s UTF-8 bytes."""


class PublishedKeys(OneOf[SignedKeys | UnsignedKeys]):
    """``GET /keys``: the published parameter, as ``chalicelib.signing.published_keys`` serves it."""
