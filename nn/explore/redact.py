"""Keeping the explorer's token out of the logs.

The token is the key to the explorer: whoever reads it can drive the page (within the whitelist
of commands). Logs end up in terminals, files and bug reports, so nothing the server logs may
carry it. Two layers:

* the server's own log lines name a request by its method and path, never its query or its
  headers (:func:`summary`);
* a filter on every logger tornado and asyncio write to replaces, in each message and its
  traceback, the server's tokens and anything shaped like one: a ``token=...`` query field and
  an ``Authorization`` header's value (:func:`redact`), whatever line tornado itself builds.

>>> redact("403 GET /?token=s3cret&lr=0.1 (127.0.0.1)")
'403 GET /?token=[redacted]&lr=0.1 (127.0.0.1)'
>>> redact("{'Authorization': 'token s3cret', 'Host': 'x'}")
"{'Authorization': '[redacted]', 'Host': 'x'}"
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["redact", "summary", "protect", "forget", "LOGGERS"]

#: The loggers tornado and asyncio write to: each gets the filter.
LOGGERS = ("tornado.access", "tornado.application", "tornado.general", "tornado.websocket", "asyncio")
REDACTED = "[redacted]"

_QUERY = re.compile(r"(?i)(token(?:=|%3D))[^&\s'\"#;]*")
_HEADER = re.compile(r"(?i)(authorization['\"]?\s*[:=,]\s*['\"]?)[^'\"\r\n]*")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every one of ``secrets`` and every token-shaped field replaced by ``[redacted]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _HEADER.sub(lambda m: m.group(1) + REDACTED, _QUERY.sub(lambda m: m.group(1) + REDACTED, text))


def summary(method: str, path: str, status: int | None = None) -> str:
    """How the server names a request in its logs: the method and the path (the query holds the token)."""
    shown = path if len(path) <= 200 else path[:199] + "…"
    return f"{status} {method} {shown}" if status is not None else f"{method} {shown}"


class _Filter(logging.Filter):
    """Rewrites each record's message, traceback and stack with :func:`redact` (it never drops one)."""

    def __init__(self) -> None:
        super().__init__("valuegrad-explorer-redact")
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = tuple(self.secrets)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        record.msg, record.args = redact(message, secrets), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True


_FILTER = _Filter()


def protect(token: str) -> None:
    """Redact ``token`` from every log line from now on (the filter goes on :data:`LOGGERS` once)."""
    _FILTER.secrets.add(token)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def forget(token: str) -> None:
    """Stop naming ``token`` in particular (its server stopped); token-shaped fields stay redacted."""
    _FILTER.secrets.discard(token)
