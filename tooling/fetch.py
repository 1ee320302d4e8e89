"""Downloads over HTTP(S), bounded: a timeout, a few retries, a size limit, progress.

The only network code of the toolkit (`dossier retractions update` and `lookup`). It reads
``http`` and ``https`` URLs only: ``file:`` and other schemes urllib would accept are
refused, so a configured URL cannot read a local file. Loopback addresses bypass proxies
(tests serve their fixtures on 127.0.0.1).
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from tooling.diagnostics import DossierError, Location

__all__ = ["Fetched", "Progress", "fetch", "redact"]

Progress = Callable[[int, int | None], None]
"""Called as bytes arrive: (bytes so far, total when the server said, else None)."""

Notify = Callable[[str], None]
"""Called with a line for the user (a retry and why)."""

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
"""HTTP statuses worth another try: the server is busy or failed, the request was fine."""

_CHUNK = 1 << 20
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Fetched:
    """A response body, complete, and where it came from."""

    data: bytes
    url: str  # after redirects
    status: int


def _none(*_args: object) -> None:
    pass


def redact(url: str) -> str:
    """The URL as messages show it: without its query (which may hold an e-mail address)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def fetch(
    url: str,
    *,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 2.0,
    max_bytes: int = 2_000_000_000,
    headers: Mapping[str, str] | None = None,
    progress: Progress = _none,
    notify: Notify = _none,
    missing_ok: bool = False,
) -> Fetched | None:
    """GET ``url``: the whole body, after up to ``retries`` further tries.

    Args:
        url: An ``http`` or ``https`` URL.
        timeout: Seconds any one connect or read may wait.
        retries: Further tries after a timeout, a dropped or cut-off connection, or an HTTP
            status in `RETRY_STATUS`; other HTTP errors are final.
        backoff: Seconds before the first retry, doubling after each (a ``Retry-After`` of
            the server counts instead, up to 60 s).
        max_bytes: A body larger than this is refused.
        headers: Extra request headers.
        progress: Told the bytes received so far as they arrive.
        notify: Told about each retry.
        missing_ok: Return None for 404 and 410 instead of failing.

    Raises:
        DossierError: Not an http(s) URL, or the last try failed; the message says why
            (HTTP status, timeout, connection error) and names the URL without its query.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise DossierError(
            f"not an http(s) URL: {redact(url)}",
            Location("dossier.toml"),
            hint="give an https:// URL, or a local file with --from",
        )
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip", **(headers or {})})
    opener = _opener(url)
    delay = backoff
    for attempt in range(retries + 1):
        try:
            with opener.open(request, timeout=timeout) as response:
                data = _read_body(response, max_bytes, progress, url)
                return Fetched(data, response.geturl(), response.status)
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code in (404, 410):
                return None
            reason = f"HTTP {exc.code} {exc.reason}"
            retry_after = _retry_after(exc.headers.get("Retry-After"))
            retriable = exc.code in RETRY_STATUS
        except TimeoutError:
            reason, retry_after, retriable = f"no answer within {timeout:g} s", None, True
        except http.client.IncompleteRead as exc:
            reason = f"the connection closed after {len(exc.partial):,} bytes"
            retry_after, retriable = None, True
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as exc:
            cause = getattr(exc, "reason", exc)
            reason = (
                f"no answer within {timeout:g} s"
                if isinstance(cause, TimeoutError)
                else f"cannot connect: {cause}"
            )
            retry_after, retriable = None, True
        if not retriable or attempt == retries:
            break
        wait = min(retry_after if retry_after is not None else delay, 60.0)
        notify(f"{reason}; trying again in {wait:g} s ({attempt + 1} of {retries})")
        time.sleep(wait)
        delay *= 2
    tries = f" (after {retries + 1} tries)" if retriable and retries else ""
    raise DossierError(
        f"download failed: {reason}{tries}",
        Location(redact(url)),
        hint="check the URL and the network, or download the file yourself and use --from FILE",
    )


def _opener(url: str) -> urllib.request.OpenerDirector:
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOOPBACK:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _read_body(
    response: http.client.HTTPResponse, max_bytes: int, progress: Progress, url: str
) -> bytes:
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    if total is not None and total > max_bytes:
        raise DossierError(f"the file is larger than {max_bytes:,} bytes", Location(redact(url)))
    parts: list[bytes] = []
    received = 0
    progress(0, total)
    while True:
        chunk = response.read(_CHUNK)
        if not chunk:
            break
        received += len(chunk)
        if received > max_bytes:
            raise DossierError(
                f"the file is larger than {max_bytes:,} bytes", Location(redact(url))
            )
        parts.append(chunk)
        progress(received, total)
    if total is not None and received < total:  # http.client checks this only for read()
        raise http.client.IncompleteRead(b"".join(parts), total - received)
    return b"".join(parts)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: the usual backoff will do
