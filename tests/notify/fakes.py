"""Test backends, named by their dotted path in BANGBAN_SMS_BACKEND."""

import threading
import time

from bangban.notify.backends import SendFailed

sent: list[int] = []
_lock = threading.Lock()
mode = {"fail": "", "delay": 0.0, "during": None}


def reset(*, fail: str = "", delay: float = 0.0, during=None) -> None:
    sent.clear()
    mode.update(fail=fail, delay=delay, during=during)


class RecordingBackend:
    """Records each message id it sends; fails as `mode["fail"]` says ("retry", "permanent",
    "crash"); waits `delay` seconds (to widen a race); calls `during(message)` while sending."""

    def send(self, message) -> str:
        if mode["during"] is not None:
            mode["during"](message)
        if mode["delay"]:
            time.sleep(mode["delay"])
        if mode["fail"] == "retry":
            raise SendFailed("gateway busy", retry=True)
        if mode["fail"] == "permanent":
            raise SendFailed("bad number", retry=False)
        if mode["fail"] == "crash":
            raise RuntimeError("bug")
        with _lock:
            sent.append(message.pk)
        return f"fake-{message.pk}"


PATH = "tests.notify.fakes.RecordingBackend"
