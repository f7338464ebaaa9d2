# auth: the dashboard's signed session cookies, CSRF tokens and login throttle.
# SPDX-License-Identifier: MIT
"""Sessions are an itsdangerous-signed cookie ``{"u": user or None, "c": csrf token}``; the user's
role and rusun are read from the store on every request (``sync.service.accounts.user``), so
removing a user or narrowing a viewer takes effect at once. Every session, even before login,
carries a CSRF token that each form sends back as the ``csrf`` field; login rotates it. The
password check is ``sync.service.accounts.authenticate`` (argon2id, ``sync.vault``).
"""

import hmac
import secrets
import threading

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "hadir_session"
LANG_COOKIE = "hadir_lang"
SESSION_MAX_AGE_S = 12 * 3600  # one office shift; then log in again


class Sessions:
    def __init__(self, secret: bytes) -> None:
        self._s = URLSafeTimedSerializer(secret, salt="hadir-dashboard-session")

    def load(self, cookie: str | None) -> dict:
        """The session dict; a fresh anonymous one when the cookie is missing, forged or old."""
        if cookie:
            try:
                data = self._s.loads(cookie, max_age=SESSION_MAX_AGE_S)
                if isinstance(data, dict) and isinstance(data.get("c"), str):
                    return data
            except BadSignature:
                pass
        return {"u": None, "c": secrets.token_urlsafe(24)}

    def dump(self, session: dict) -> str:
        return self._s.dumps(session)

    @staticmethod
    def login(user: str) -> dict:
        return {"u": user, "c": secrets.token_urlsafe(24)}


class Throttle:
    """Failed logins per (client address, user name): after ``limit`` failures within
    ``window_s`` that pair is refused until the oldest failure leaves the window. Kept in memory
    (one collector process); a success clears the pair."""

    def __init__(self, limit: int = 5, window_s: int = 15 * 60) -> None:
        self.limit = limit
        self.window_s = window_s
        self._fails: dict[tuple[str, str], list[int]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: int) -> list[int]:
        times = [t for t in self._fails.get(key, []) if now - t < self.window_s]
        if times:
            self._fails[key] = times
        else:
            self._fails.pop(key, None)
        return times

    def blocked(self, key: tuple[str, str], now: int) -> bool:
        with self._lock:
            return len(self._recent(key, now)) >= self.limit

    def failed(self, key: tuple[str, str], now: int) -> None:
        with self._lock:
            self._fails.setdefault(key, []).append(now)
            if len(self._fails) > 10_000:  # bound memory: forget the stalest pairs
                for old in sorted(self._fails, key=lambda k: self._fails[k][-1])[:5_000]:
                    del self._fails[old]

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._fails.pop(key, None)


def csrf_ok(session: dict, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session["c"], sent or "")
