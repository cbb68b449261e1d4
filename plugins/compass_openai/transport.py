"""An aiohttp wire under the SDK: cheaper requests at high concurrency.

The ``openai`` SDK sends requests through ``httpx``; the SDK stays in charge of everything
else (auth headers, URLs, timeouts, mapping errors to ``openai.APIStatusError`` and
friends). ``httpx``'s own connection pool costs about 2 ms of CPU per request at 32
connections, which caps a client near 150 requests/s on a loaded core; aiohttp's costs a
third of that. :func:`make_http_client` returns an SDK-ready ``httpx.AsyncClient`` whose
transport is aiohttp when it is installed, or ``None`` (use the SDK's default) when not.

Transport failures are raised as the ``httpx`` exceptions the SDK expects (timeouts as
``httpx.TimeoutException``, the rest as ``httpx.TransportError``), with the aiohttp error
(and any ``ssl`` error under it) kept as the cause.
"""

from __future__ import annotations

import asyncio
import sys

HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


def _httpx():
    """The httpx module the installed SDK is built on (``httpx``, or ``httpx2`` in newer SDKs)."""
    import openai

    for cls in openai.DefaultAsyncHttpxClient.__mro__:
        if cls.__name__ == "AsyncClient":
            return sys.modules[cls.__module__.split(".")[0]]
    raise ImportError("the openai SDK's httpx module")


def make_http_client(backend: str = "auto"):
    """An ``httpx.AsyncClient`` for ``AsyncOpenAI(http_client=...)``, or ``None`` for the default."""
    if backend == "httpx":
        return None
    try:
        import aiohttp  # noqa: F401
        import openai
        httpx = _httpx()
    except ImportError:
        if backend == "aiohttp":
            from compass.sdk import CompassError

            raise CompassError("http_backend='aiohttp' needs aiohttp: pip install 'compass-eval[api]'") from None
        return None
    return openai.DefaultAsyncHttpxClient(transport=_transport_class(httpx)())


def _transport_class(httpx):
    import aiohttp

    connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", ())

    class AiohttpTransport(httpx.AsyncBaseTransport):
        """``httpx`` requests sent with one ``aiohttp.ClientSession`` (made in the running loop)."""

        def __init__(self) -> None:
            self._session: aiohttp.ClientSession | None = None
            self._proxies: dict[tuple, tuple] = {}

        def _proxy(self, url) -> tuple:
            """The environment's proxy for this host, looked up once (aiohttp's ``trust_env``
            looks it up on every request, at a cost of half a millisecond)."""
            key = (url.scheme, url.host, url.port)
            if key not in self._proxies:
                from urllib.request import getproxies, proxy_bypass

                proxy = None if proxy_bypass(url.host) else getproxies().get(url.scheme)
                auth = None
                if proxy:
                    from yarl import URL

                    purl = URL(proxy if "://" in proxy else f"http://{proxy}")
                    if purl.user:
                        auth = aiohttp.BasicAuth(purl.user, purl.password or "")
                        purl = purl.with_user(None)
                    proxy = str(purl)
                self._proxies[key] = (proxy, auth)
            return self._proxies[key]

        def _open(self) -> aiohttp.ClientSession:
            if self._session is None or self._session.closed:
                self._session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
                    auto_decompress=False,  # httpx decodes, per the Content-Encoding it asked for
                    trust_env=False,  # proxies: see _proxy
                )
            return self._session

        async def handle_async_request(self, request):
            t = request.extensions.get("timeout") or {}
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=t.get("connect"), sock_read=t.get("read"))
            headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() not in HOP_BY_HOP]
            body = await request.aread()
            proxy, proxy_auth = self._proxy(request.url)
            try:
                async with self._open().request(request.method, str(request.url), headers=headers, data=body,
                                                timeout=timeout, allow_redirects=False, proxy=proxy,
                                                proxy_auth=proxy_auth) as resp:
                    content = await resp.read()
                    raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers]
                    return httpx.Response(resp.status, headers=raw_headers, content=content, request=request,
                                          extensions={"http_version": b"HTTP/1.1"})
            except connect_timeout as exc:
                raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
            except asyncio.TimeoutError as exc:
                raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
            except aiohttp.ClientConnectorError as exc:
                raise httpx.ConnectError(str(exc), request=request) from exc
            except (aiohttp.ClientError, OSError) as exc:
                text = str(exc) or type(exc).__name__
                raise httpx.RemoteProtocolError(text, request=request) from exc

        async def aclose(self) -> None:
            if self._session is not None:
                await self._session.close()
                self._session = None

    return AiohttpTransport
