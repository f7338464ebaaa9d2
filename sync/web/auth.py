# auth: the dashboard's signed session cookies and CSRF tokens.
# SPDX-License-Identifier: MIT
"""The cookie is itsdangerous-signed ``{"s": session id or None, "c": csrf token}``. The id names
a row the collector keeps (``sync.service.sessions``): logout deletes it, a password change or a
removed user deletes all of that user's, and it lives 12 hours from login however busy; so a
copied cookie dies with its session. The user's role and rusun are read from the store on every
request (``sync.service.accounts.user``). Every session, even before login, carries a CSRF token
that each form sends back as the ``csrf`` field; login rotates it. The password check is
``sync.service.accounts.authenticate`` (argon2id, ``sync.vault``).
"""

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "hadir_session"
LANG_COOKIE = "hadir_lang"
SESSION_MAX_AGE_S = (
    12 * 3600
)  # the cookie's; the session row's own lifetime is the one that counts


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
        return {"s": None, "c": secrets.token_urlsafe(24)}

    def dump(self, session: dict) -> str:
        return self._s.dumps(session)

    @staticmethod
    def login(sid: str) -> dict:
        return {"s": sid, "c": secrets.token_urlsafe(24)}


def csrf_ok(session: dict, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session["c"], sent or "")
