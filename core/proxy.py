"""Reverse proxies in front of the app (TULUC_PROXY_COUNT), and a warning when the
setting does not match what arrives (S11).

With the default 0 behind a proxy, every client has the proxy's address: the login
throttle then counts everybody together and the audit log names the proxy. With 1 and
no proxy in front, a client's own X-Forwarded-For is believed. Neither can be seen at
start-up, so the first request that shows one is logged (once per process), and
/healthz lists it under "warnings" for whatever watches it:

- X-Forwarded-For arrives while TULUC_PROXY_COUNT is 0: there is a proxy nobody trusts;
- a request arrives without it while TULUC_PROXY_COUNT is set: something reaches the app
  without going through the proxy, and could claim any address.
"""

import logging

from flask import current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

logger = logging.getLogger(__name__)

FORWARDED_BUT_NOT_TRUSTED = "x_forwarded_for_without_proxy_count"
NOT_FORWARDED_BUT_TRUSTED = "request_without_x_forwarded_for"
MESSAGES = {
    FORWARDED_BUT_NOT_TRUSTED: (
        "A request came with X-Forwarded-For while TULUC_PROXY_COUNT=0: behind a reverse "
        "proxy every client has the proxy's address, so login throttling counts them all "
        "together and the audit log names the proxy. Set TULUC_PROXY_COUNT to the number "
        "of proxies in front of the app."
    ),
    NOT_FORWARDED_BUT_TRUSTED: (
        "A request came without X-Forwarded-For while TULUC_PROXY_COUNT=%d: something "
        "reaches the app without the proxy and could claim any address. Let only the "
        "proxy reach the app, or set TULUC_PROXY_COUNT=0."
    ),
}


def init_app(app) -> None:
    proxies = int(app.config["PROXY_COUNT"])
    app.extensions["proxy_warnings"] = set()
    if proxies:
        # The client's address and scheme as the proxies in front say; never the Host.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    logger.info(
        "TULUC_PROXY_COUNT=%d: %s",
        proxies,
        "X-Forwarded-For/-Proto of that many proxies are trusted"
        if proxies
        else "no forwarded header is trusted (set it when the app runs behind a proxy)",
    )
    app.before_request(_check_forwarding)


def _check_forwarding() -> None:
    if request.endpoint == "core.healthz":  # monitoring often asks the app directly
        return
    proxies = int(current_app.config["PROXY_COUNT"])
    forwarded = "X-Forwarded-For" in request.headers
    if not proxies and forwarded:
        _warn_once(FORWARDED_BUT_NOT_TRUSTED)
    elif proxies and not forwarded:
        _warn_once(NOT_FORWARDED_BUT_TRUSTED, proxies)


def _warn_once(kind: str, *args) -> None:
    seen = current_app.extensions["proxy_warnings"]
    if kind not in seen:
        seen.add(kind)
        logger.warning(MESSAGES[kind], *args)


def warnings() -> list[str]:
    """What this process has seen that does not match TULUC_PROXY_COUNT."""
    return sorted(current_app.extensions.get("proxy_warnings", ()))
