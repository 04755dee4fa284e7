"""The demo's notification: the bell (database inbox + live broadcast) and a mail."""

from __future__ import annotations

from typing import Any

from forge_suite.mailer import Notification


class OrderShipped(Notification):
    channels = ["database", "broadcast"]

    def to_database(self, recipient: Any) -> dict[str, Any]:
        return {
            "text": f"Order {self.kwargs['number']} has shipped",
            "order": self.kwargs["number"],
        }
