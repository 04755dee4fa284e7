"""Mailables: one class per kind of mail, rendered into a layout with inlined CSS.

A Mailable names its envelope (class attributes or builder methods), its content (an HTML
template, or a Markdown template rendered into the layout) and its attachments, and renders
in the recipient's language::

    class Welcome(Mailable):
        subject = _("Welcome to {site}")
        template = "emails/welcome.html"
        tags = ["welcome"]

    Welcome(user=user).to(user).send()          # or .queue(), .later(delay)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from anymail.message import AnymailMessage
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.exceptions import InvalidMailable
from forge_suite.mailer.parts import (
    Address,
    Attachment,
    Rendered,
    attach_inline,
    html_to_text,
    inline_css,
    render_markdown,
)

if TYPE_CHECKING:
    from forge_suite.mailer.models import OutboundEmail

__all__ = ["Address", "Attachment", "Mailable", "Rendered", "registry"]

#: Every concrete Mailable subclass by dotted path, for the admin preview and the outbox.
registry: dict[str, type[Mailable]] = {}


class Mailable:
    """Base class of the project's mails. Subclasses set templates and envelope defaults."""

    subject: ClassVar[str] = ""
    template: ClassVar[str | None] = None
    markdown: ClassVar[str | None] = None
    text_template: ClassVar[str | None] = None
    layout: ClassVar[str | None] = None
    from_email: ClassVar[str | None] = None
    tags: ClassVar[list[str]] = []
    metadata: ClassVar[dict[str, Any]] = {}
    headers: ClassVar[dict[str, str]] = {}
    mailer: ClassVar[str | None] = None
    #: Marketing mail belongs to a list: it gets one-click unsubscribe headers and a footer link.
    list_name: ClassVar[str | None] = None
    #: Context keys that differ per recipient: with them a campaign through an ESP that batch-
    #: sends renders once per batch and lets the ESP fill these in (see ``mailer.batching``).
    merge_fields: ClassVar[tuple[str, ...]] = ()
    #: Context used by the admin preview.
    preview_context: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.template or cls.markdown:
            registry[f"{cls.__module__}.{cls.__qualname__}"] = cls

    def __init__(self, **context: Any) -> None:
        self.context: dict[str, Any] = context
        self._to: list[Address] = []
        self._cc: list[Address] = []
        self._bcc: list[Address] = []
        self._reply_to: list[Address] = []
        self._from: str | None = None
        self._mailer: str | None = None
        self._locale: str | None = None
        self._extra_headers: dict[str, str] = {}
        self._extra_tags: list[str] = []
        self._extra_metadata: dict[str, Any] = {}
        self._attachments: list[Attachment] = []

    # -- envelope builders ------------------------------------------------------------------
    def to(self, *recipients: Any) -> Mailable:
        self._to += [Address.coerce(r) for r in _flatten(recipients)]
        return self

    def cc(self, *recipients: Any) -> Mailable:
        self._cc += [Address.coerce(r) for r in _flatten(recipients)]
        return self

    def bcc(self, *recipients: Any) -> Mailable:
        self._bcc += [Address.coerce(r) for r in _flatten(recipients)]
        return self

    def reply_to(self, *recipients: Any) -> Mailable:
        self._reply_to += [Address.coerce(r) for r in _flatten(recipients)]
        return self

    def sender(self, from_email: str) -> Mailable:
        self._from = from_email
        return self

    def using(self, mailer: str) -> Mailable:
        """Send this message through the mailer ``mailer`` (an alias)."""
        self._mailer = mailer
        return self

    def locale(self, language: str) -> Mailable:
        self._locale = language
        return self

    def with_headers(self, **headers: str) -> Mailable:
        self._extra_headers.update({k.replace("_", "-"): v for k, v in headers.items()})
        return self

    def tag(self, *tags: str) -> Mailable:
        self._extra_tags += tags
        return self

    def with_metadata(self, **metadata: Any) -> Mailable:
        self._extra_metadata.update(metadata)
        return self

    def attach(self, attachment: Attachment) -> Mailable:
        self._attachments.append(attachment)
        return self

    # -- hooks ------------------------------------------------------------------------------
    def get_subject(self) -> str:
        return str(self.subject).format(**self.get_context())

    def get_context(self) -> dict[str, Any]:
        """Template context: the constructor's keyword arguments plus ``recipient``."""
        return {"recipient": self._to[0] if self._to else None, **self.context}

    def attachments(self) -> list[Attachment]:
        """Files to attach (override); builder attachments are added to these."""
        return []

    def inline_images(self) -> Mapping[str, str | Path | bytes]:
        """Images to embed by name; templates use ``{{ cid.<name> }}`` as the ``src``."""
        return {}

    def recipients(self) -> list[Address]:
        return [*self._to, *self._cc, *self._bcc]

    def language(self) -> str | None:
        if self._locale:
            return self._locale
        if self._to and self._to[0].language:
            return self._to[0].language
        return None

    def mailer_alias(self) -> str:
        return self._mailer or self.mailer or app_settings.DEFAULT_MAILER

    # -- rendering --------------------------------------------------------------------------
    def render(self, extra_context: Mapping[str, Any] | None = None) -> Rendered:
        """Subject, HTML (layout, CSS inlined) and text, in the recipient's language."""
        if not (self.template or self.markdown):
            raise InvalidMailable(f"{type(self).__name__} sets neither template nor markdown")
        language = self.language()
        with translation.override(language) if language else _noop():
            domain = app_settings.MESSAGE_ID_DOMAIN or None
            images: list[Attachment] = []
            cids: dict[str, str] = {}
            for name, source in self.inline_images().items():
                image = (
                    Attachment.from_bytes(source, f"{name}.png")
                    if isinstance(source, bytes)
                    else Attachment.from_path(source)
                )
                image.cid = make_msgid(idstring=name, domain=domain)[1:-1]
                cids[name] = f"cid:{image.cid}"
                images.append(image)
            context = {**self.get_context(), "cid": cids, **(extra_context or {})}
            subject = self.get_subject()
            context.setdefault("subject", subject)
            page: str
            text: str
            if self.markdown:
                body = render_markdown(render_to_string(self.markdown, context))
                context["content"] = mark_safe(body)
                page = render_to_string(
                    "forge_mailer/markdown.html", {**context, "layout": self.get_layout()}
                )
            else:
                page = render_to_string(
                    str(self.template), {**context, "layout": self.get_layout()}
                )
            html = inline_css(page)
            if self.text_template:
                text = render_to_string(self.text_template, context)
            elif self.markdown:
                text = strip_tags(render_to_string(self.markdown, context))
            else:
                text = html_to_text(html)
        files = [*self.attachments(), *self._attachments]
        return Rendered(subject, html, text, [*files, *images])

    def get_layout(self) -> str:
        return self.layout or app_settings.LAYOUT

    def build_message(self, extra_context: Mapping[str, Any] | None = None) -> AnymailMessage:
        """The Django/anymail message (envelope, parts, attachments) for this Mailable."""
        if not self._to and not self._cc and not self._bcc:
            raise InvalidMailable(f"{type(self).__name__} has no recipient: call .to(...)")
        rendered = self.render(extra_context)
        message = AnymailMessage(
            subject=rendered.subject,
            body=rendered.text,
            from_email=self._from or self.from_email or settings.DEFAULT_FROM_EMAIL,
            to=[a.formatted() for a in self._to],
            cc=[a.formatted() for a in self._cc],
            bcc=[a.formatted() for a in self._bcc],
            reply_to=[a.formatted() for a in self._reply_to],
            headers={**self.headers, **self._extra_headers},
            tags=[*self.tags, *self._extra_tags],
            metadata={**self.metadata, **self._extra_metadata},
        )
        message.attach_alternative(rendered.html, "text/html")
        for item in rendered.attachments:
            if item.cid:
                attach_inline(message, item)
            else:
                message.attach(item.filename, item.content, item.mimetype)
        return message

    # -- sending ----------------------------------------------------------------------------
    def send(self, using: str | None = None) -> OutboundEmail:
        """Render, record in the outbox and send now, in this process."""
        from forge_suite.mailer.outbox import send_now

        return send_now(self, using)

    def queue(self, using: str | None = None) -> OutboundEmail:
        """Record in the outbox and send on a worker (after the current transaction commits)."""
        from forge_suite.mailer.queueing import enqueue

        return enqueue(self, using)

    def later(
        self, when: float | dt.timedelta | dt.datetime, using: str | None = None
    ) -> OutboundEmail:
        """Like :meth:`queue`, sent after ``when`` (seconds, a timedelta, or an aware datetime)."""
        from forge_suite.mailer.queueing import enqueue

        return enqueue(self, using, when=when)


class _noop:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if isinstance(value, (list, tuple, set)):
            out += list(value)
        else:
            out.append(value)
    return out
