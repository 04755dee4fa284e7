"""The demo's mails."""

from __future__ import annotations

from typing import Any

from forge_suite.mailer import Attachment, Mailable


class WelcomeMail(Mailable):
    """Sent (queued) when somebody signs up. Markdown rendered into the layout."""

    subject = "Welcome to the Forge shop, {name}"
    markdown = "maildemo/mails/welcome.md"
    tags = ["welcome"]
    preview_context = {"name": "Ann"}


class OrderConfirmation(Mailable):
    """Sent when an order is placed, with its invoice as a PDF attachment."""

    subject = "Your order {number}"
    template = "maildemo/mails/order_confirmation.html"
    tags = ["orders"]
    preview_context = {"number": "DEMO-1", "total": "42.00", "lines": [["Mug", 2, "9.00"]]}

    def attachments(self) -> list[Attachment]:
        number = self.context["number"]
        return [Attachment.from_bytes(invoice_pdf(number, self.context), f"invoice-{number}.pdf")]


class Newsletter(Mailable):
    """Marketing mail of the ``newsletter`` list: one-click unsubscribe and a preferences link."""

    subject = "Forge shop news"
    template = "maildemo/mails/newsletter.html"
    list_name = "newsletter"
    preview_context = {"headline": "Spring tea is in"}


def invoice_pdf(number: str, context: dict[str, Any]) -> bytes:
    """A one-page PDF invoice (a real, minimal PDF written by hand; no PDF library needed)."""
    lines = [f"Invoice {number}", f"Total: {context.get('total', '')}"]
    text = " ".join(
        f"BT /F1 14 Tf 72 {720 - 24 * i} Td ({line.replace('(', '[').replace(')', ']')}) Tj ET"
        for i, line in enumerate(lines)
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out
