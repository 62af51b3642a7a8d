"""The views' websocket: a forged or unsigned token is refused (403) before the upgrade.

Bokeh's own handler upgrades first and then closes a connection whose token has a
bad signature, logging an error into the kernel for every try. A page with a forged
token should not get a websocket at all: this handler checks the signature in
``prepare()``, which Tornado runs before it upgrades, and answers 403, as the
server does for a bad origin or a forged view id.

It also accepts the Origin of VS Code's notebook webviews, ``vscode-webview://<id>``,
the one scheme accepted beyond the allowlist. Bokeh compares an origin's
``host:port`` with the allowlist (port 80 when none is given), so a webview's
becomes ``<id>:80``, a different id per webview, and is refused (bokeh#10765).
Only VS Code can send that scheme: a web page cannot forge a browser's Origin
header, and the token is still checked before the upgrade, as for any origin.

Bokeh internals relied on (tested against the installed Bokeh by
``tests/test_bokeh_server.py``): ``WSHandler`` is the per-app websocket route's
handler class, and the token travels as the second ``Sec-WebSocket-Protocol``
value after ``bokeh``.
"""

from __future__ import annotations

import urllib.parse

from bokeh.server.tornado import BokehTornado
from bokeh.server.views.ws import WSHandler
from bokeh.util.token import check_token_signature
from tornado.web import HTTPError

# The Origin scheme of VS Code's webviews (notebook outputs): ``vscode-webview://<id>``.
VSCODE_WEBVIEW_SCHEME = "vscode-webview"


class SignedOnlyWSHandler(WSHandler):
    """Bokeh's websocket handler, refusing a token with a bad signature with 403,
    and accepting VS Code webviews' origins besides the allowlist."""

    def check_origin(self, origin: str) -> bool:
        """A VS Code webview's origin, or one Bokeh's allowlist accepts."""
        parsed = urllib.parse.urlsplit(origin)
        if parsed.scheme == VSCODE_WEBVIEW_SCHEME and parsed.netloc:
            return True
        return super().check_origin(origin)

    async def prepare(self) -> None:
        """Tornado calls this before the upgrade: check the token's signature first."""
        header = self.request.headers.get("Sec-WebSocket-Protocol", "")
        protocols = [p.strip() for p in header.split(",")]
        app = self.application
        assert isinstance(app, BokehTornado)  # the only app that routes to this handler
        # Other shapes of header: Bokeh refuses them itself, after its own checks.
        if (
            len(protocols) == 2
            and protocols[0] == "bokeh"
            and not check_token_signature(
                protocols[1], secret_key=app.secret_key, signed=app.sign_sessions
            )
        ):
            raise HTTPError(403, "invalid session token")
        await super().prepare()  # type: ignore[no-untyped-call]  # Bokeh leaves it untyped


def refuse_forged_tokens(app: BokehTornado) -> None:
    """Serve ``app``'s websockets with :class:`SignedOnlyWSHandler` (before it listens)."""
    for rule in app.wildcard_router.rules:
        if rule.target is WSHandler:
            rule.target = SignedOnlyWSHandler
