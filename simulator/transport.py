"""Transport: how the simulator's requests reach the application, signed as Twilio signs.

A :class:`Transport` sends one form-encoded request and returns an :class:`HttpResult`:
:func:`flask_transport` posts to a Flask test client in-process, :func:`http_transport`
sends real HTTP to a running server. :class:`SignedSender` adds ``X-Twilio-Signature``
(over the absolute URL and every form field, as Twilio computes it) before handing the
request to a transport.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from twilio.request_validator import RequestValidator

USER_AGENT = "TwilioProxy/1.1"


@dataclass
class HttpResult:
    """What the application answered to one webhook request."""

    status: int  # 0 when no HTTP response arrived (connection refused, timeout)
    body: str
    content_type: str = "text/xml"


class Transport(Protocol):
    """Send one webhook request: ``(absolute url, form, headers) -> HttpResult``.

    The simulator passes ``method="GET"`` (with the parameters already in the URL and an
    empty form) only when a TwiML ``method`` attribute asks for GET, so a plain
    three-argument callable is enough for POST-only flows.
    """

    def __call__(
        self, url: str, form: dict[str, str], headers: dict[str, str], /, *, method: str = "POST"
    ) -> HttpResult: ...


def flask_transport(test_client: Any, base_url: str) -> Transport:
    """Return a transport that posts to a Flask test client, using the URL's path and query."""
    base = urllib.parse.urlsplit(base_url)

    def send(
        url: str, form: dict[str, str], headers: dict[str, str], /, *, method: str = "POST"
    ) -> HttpResult:
        parts = urllib.parse.urlsplit(url)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            return HttpResult(502, f"{url} is not served by this application", "text/plain")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if method == "GET":
            response = test_client.get(path, headers=headers)
        else:
            response = test_client.post(path, data=form, headers=headers)
        return HttpResult(
            response.status_code, response.get_data(as_text=True), response.content_type or ""
        )

    return send


def http_transport(timeout: float = 15, *, use_proxy: bool = False) -> Transport:
    """Return a transport that sends real HTTP requests with urllib (for a running server).

    Twilio waits 15 s at most; so does this transport by default. Proxies from the
    environment are ignored unless ``use_proxy`` is set, since the target is usually local.
    """
    handlers = [] if use_proxy else [urllib.request.ProxyHandler({})]
    opener = urllib.request.build_opener(*handlers)

    def send(
        url: str, form: dict[str, str], headers: dict[str, str], /, *, method: str = "POST"
    ) -> HttpResult:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            return HttpResult(0, f"unsupported URL scheme: {url}", "")
        data = None
        all_headers = {"User-Agent": USER_AGENT, **headers}
        if method != "GET":
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
        try:
            with opener.open(request, timeout=timeout) as response:
                return _http_result(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return _http_result(error.code, error.headers, error.read())
        except (urllib.error.URLError, OSError) as error:
            return HttpResult(0, f"no response from {url}: {error}", "")

    return send


def _http_result(status: int, headers: Any, body: bytes) -> HttpResult:
    charset = headers.get_content_charset() or "utf-8"
    return HttpResult(
        status, body.decode(charset, errors="replace"), headers.get("Content-Type", "")
    )


class SignedSender:
    """Sign each request the way Twilio does and send it through a transport."""

    def __init__(self, transport: Transport, auth_token: str) -> None:
        self.transport = transport
        self.validator = RequestValidator(str(auth_token))

    def send(self, url: str, method: str, form: dict[str, str]) -> HttpResult:
        """Send one request: a GET carries the form in its query, a POST in its body."""
        if method.upper() == "GET":
            query = urllib.parse.urlencode(form)
            url = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
            signature = self.validator.compute_signature(url, {})
            headers = {"X-Twilio-Signature": signature, "User-Agent": USER_AGENT}
            return self.transport(url, {}, headers, method="GET")
        signature = self.validator.compute_signature(url, form)
        headers = {"X-Twilio-Signature": signature, "User-Agent": USER_AGENT}
        return self.transport(url, dict(form), headers)
