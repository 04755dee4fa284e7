"""The send job: one outbox row, claimed by exactly one worker, retried with backoff."""

from __future__ import annotations

import uuid

from forge_suite.mailer.exceptions import MailerError
from forge_suite.mailer.jobs import job

__all__ = ["MessageBusy", "SendFailed", "deliver"]


class MessageBusy(MailerError):
    """Another worker holds the message's lease; retried after a backoff."""


class SendFailed(MailerError):
    """The mailer refused or could not be reached; retried after a backoff."""


@job(name="forge_mailer.deliver", max_retries=20, backoff=1, backoff_max=60)
def deliver(pk: int) -> str:
    """Send outbox row ``pk`` unless another worker owns it or it is already done."""
    from forge_suite.mailer.models import OutboundEmail, Status
    from forge_suite.mailer.outbox import claim, send_row

    token = uuid.uuid4().hex
    rows = claim([pk], token)
    if not rows:
        status = OutboundEmail.objects.filter(pk=pk).values_list("status", flat=True).first()
        if status == Status.SENDING:
            # Another worker holds the lease (it may have died): look again after it expires.
            raise MessageBusy(f"mail {pk} is being sent by another worker")
        if status == Status.QUEUED:
            # Not due yet (a job run early, or a failed attempt put back): look again later.
            raise MessageBusy(f"mail {pk} is not due yet")
        return str(status or "missing")
    row = rows[0]
    if not send_row(row, token):
        raise SendFailed(f"mail {pk}: {OutboundEmail.objects.get(pk=pk).last_error}")
    return str(row.status)  # sent, suppressed, or failed after the last attempt
