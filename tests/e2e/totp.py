"""TOTP codes for the demo accounts' second factor, never one code twice (the app refuses replays).

API: `TotpClock()` (one per session, shared by every test); `clock.code(secret)` returns a code
for the current 30 s step, waiting for the next step when this secret's current step was
already used in this session.
"""

from __future__ import annotations

import threading
import time

import pyotp


class TotpClock:
    def __init__(self) -> None:
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    def code(self, secret: str) -> str:
        totp = pyotp.TOTP(secret)
        with self._lock:
            while True:
                step = int(time.time()) // totp.interval
                if self._used.get(secret, -1) < step:
                    self._used[secret] = step
                    return totp.generate_otp(step)
                time.sleep(totp.interval - time.time() % totp.interval + 0.05)
