"""The pieces of a mail below the Mailable: addresses, attachments, rendering helpers.

Lower than :mod:`forge_suite.mailer.mailable` and :mod:`forge_suite.mailer.outbox`, which both
use them (the outbox never imports the Mailable class: it sees one through
:class:`MailableLike`).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.mime.image import MIMEImage
from pathlib import Path
from typing import Any, ClassVar, Protocol

import css_inline
import django
import html2text

from forge_suite.mailer.exceptions import InvalidMailable

__all__ = [
    "Address",
    "Attachment",
    "MailableLike",
    "Rendered",
    "attach_inline",
    "html_to_text",
    "inline_css",
    "render_markdown",
]

# Remote stylesheets are never fetched at render time (slow, and an SSRF vector).
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)


class MailableLike(Protocol):
    """What the outbox needs from a Mailable."""

    list_name: ClassVar[str | None]

    def build_message(self, extra_context: Mapping[str, Any] | None = None) -> Any: ...

    def mailer_alias(self) -> str: ...


@dataclass(frozen=True)
class Address:
    """One recipient: an address, an optional display name and the language to render in."""

    email: str
    name: str = ""
    language: str | None = None

    def formatted(self) -> str:
        from email.headerregistry import Address as _Header

        return (
            str(_Header(display_name=self.name, addr_spec=self.email)) if self.name else self.email
        )

    @classmethod
    def coerce(cls, value: Any, name: str = "") -> Address:
        """An Address from a string, an Address or an object with ``email`` (a user)."""
        if isinstance(value, Address):
            return value
        if isinstance(value, str):
            if "@" not in value:
                raise InvalidMailable(f"{value!r} is not an email address")
            return cls(value, name)
        email = getattr(value, "email", None)
        if not email:
            raise InvalidMailable(f"{value!r} has no email address")
        display = name
        if not display and hasattr(value, "get_full_name"):
            display = value.get_full_name() or ""
        language = getattr(value, "language", None) or getattr(value, "preferred_language", None)
        return cls(str(email), display, language or None)


@dataclass
class Attachment:
    """A file attached to a mail, or an inline image when ``cid`` is set."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"
    cid: str | None = None

    @classmethod
    def from_path(
        cls, path: str | Path, filename: str | None = None, mimetype: str | None = None
    ) -> Attachment:
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise InvalidMailable(f"cannot attach {p}: {exc}") from exc
        name = filename or p.name
        return cls(name, data, mimetype or mimetypes.guess_type(name)[0] or cls.mimetype)

    @classmethod
    def from_bytes(cls, data: bytes, filename: str, mimetype: str | None = None) -> Attachment:
        return cls(filename, data, mimetype or mimetypes.guess_type(filename)[0] or cls.mimetype)

    @classmethod
    def from_storage(
        cls, name: str, disk: str = "default", filename: str | None = None
    ) -> Attachment:
        """A file from a ``STORAGES`` alias (a forge_suite.files disk)."""
        from django.core.files.storage import storages

        storage = storages[disk]
        try:
            with storage.open(name, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise InvalidMailable(f"cannot attach {name!r} from disk {disk!r}: {exc}") from exc
        return cls.from_bytes(data, filename or Path(name).name)


@dataclass
class Rendered:
    """The rendered content of a Mailable."""

    subject: str
    html: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)


def html_to_text(html: str) -> str:
    """A readable plain-text part derived from HTML (links kept, images dropped)."""
    converter = html2text.HTML2Text(bodywidth=0)
    converter.ignore_images = True
    converter.ignore_emphasis = True
    return converter.handle(html).strip() + "\n"


def render_markdown(source: str) -> str:
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark", {"html": True}).enable("table").render(source))


def inline_css(html: str) -> str:
    """``html`` with its ``<style>`` rules moved into ``style`` attributes."""
    return str(_INLINER.inline(html))


def attach_inline(message: Any, item: Attachment) -> None:
    """Attach ``item`` as an inline image under its own Content-ID (known at render time)."""
    subtype = item.mimetype.split("/", 1)[1] if item.mimetype.startswith("image/") else None
    if django.VERSION >= (6, 0):
        from email.message import MIMEPart

        part = MIMEPart()
        part.set_content(
            item.content,
            maintype="image",
            subtype=subtype or MIMEImage(item.content).get_content_subtype(),
            disposition="inline",
            cid=f"<{item.cid}>",
            filename=item.filename,
        )
        message.attach(part)
    else:
        image = MIMEImage(item.content, subtype)
        image.add_header("Content-Disposition", "inline", filename=item.filename)
        image.add_header("Content-ID", f"<{item.cid}>")
        message.attach(image)
