"""The development outbox (EMAIL_URL=filemail://…): one .eml file per message, which a mail program opens
as it would receive it (Django's file backend appends a connection's messages to one .log file)."""

from __future__ import annotations

import os
import threading
from datetime import datetime
from itertools import count

from django.core.mail.backends.filebased import EmailBackend

_sequence = count(1)
_lock = threading.Lock()


class EmlOutbox(EmailBackend):
    # No connection-wide .log file: each message opens its own file.
    def open(self) -> bool:
        os.makedirs(self.file_path, exist_ok=True)
        return False

    def close(self) -> None:
        pass

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            with _lock:
                number = next(_sequence)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            path = os.path.join(self.file_path, f"{stamp}-{os.getpid()}-{number}.eml")
            with open(path, "xb") as stream:
                stream.write(message.message().as_bytes())
            sent += 1
        return sent
