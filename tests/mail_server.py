"""A local SMTP server for tests that send mail: aiosmtpd on loopback, keeping every message it gets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest


def free_port() -> int:
    """A loopback port nothing listens on now (for a server, or for a refused connection)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Keep:
    """aiosmtpd handler: every envelope received, in order."""

    def __init__(self) -> None:
        self.messages, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple]:
    """(controller, handler): the server's port is controller.port, what it received handler.messages."""
    from aiosmtpd.controller import Controller

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()
