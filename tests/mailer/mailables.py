"""Mailables used by the mailer tests."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from forge_suite.mailer import Attachment, Mailable

LOGO = Path(__file__).parent / "logo.png"


class OrderShipped(Mailable):
    subject = "Order {order} shipped"
    template = "mails/order_shipped.html"
    tags = ["orders"]
    metadata = {"kind": "order"}
    preview_context = {"order": "A-1", "items": [("Mug", 2)]}

    def attachments(self) -> list[Attachment]:
        return [Attachment.from_bytes(b"%PDF-1.4 invoice", "invoice.pdf")]

    def inline_images(self) -> dict[str, Path]:
        return {"logo": LOGO}


class Welcome(Mailable):
    subject = _("Home")  # Django ships its French translation: "Accueil"
    markdown = "mails/welcome.md"
    text_template = None


class Newsletter(Mailable):
    subject = "News of the week"
    template = "mails/newsletter.html"
    list_name = "newsletter"
    preview_context = {"headline": "Hello"}


class MergedNewsletter(Newsletter):
    """The newsletter with a per-recipient headline an ESP can fill in (batch sends)."""

    subject = "News for {headline}"
    merge_fields = ("headline",)
