"""Downloading a dataset repository's files: the Hugging Face hub and ModelScope.

* **Hugging Face hub** through ``huggingface_hub`` (``HfApi.repo_info`` to resolve the
  revision to a commit, then ``snapshot_download`` of the needed files at that commit):
  downloads are resumed, cached in ``HF_HOME``'s hub cache and verified by the client;
  ``HF_ENDPOINT`` (a mirror), ``HF_TOKEN`` and ``HF_HUB_OFFLINE`` are honoured.
* **ModelScope** through its HTTP API, the requests its own client makes
  (``/api/v1/datasets/<owner>/<name>`` for the dataset's id, ``/api/v1/datasets/<id>/repo/tree``
  lists the files with their sha256, ``/api/v1/datasets/<owner>/<name>/repo?FilePath=…``
  serves one). Three GET requests do not justify the ``modelscope`` package and its
  dependencies; the files land in ``$MODELSCOPE_CACHE`` (else compass's cache), are resumed
  with a ``Range`` request and checked against the listed sha256 before use.
  ``MODELSCOPE_ENDPOINT`` (or ``MODELSCOPE_DOMAIN``) selects the server.

Both return a :class:`Download`: a folder with the files at their repository paths, and
the revision that was read.
"""

from __future__ import annotations

import fnmatch
import json
import os
from pathlib import Path

from compass.sdk import CompassError

from compass_datasets.transfer import Download, NotFound, Unreachable, sha256_file

HF_DEFAULT = "https://huggingface.co"
MS_DEFAULT = "https://www.modelscope.cn"
SOURCES = ("hf", "modelscope", "github")


def hf_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or HF_DEFAULT).rstrip("/")


def ms_endpoint() -> str:
    if os.environ.get("MODELSCOPE_ENDPOINT"):
        return os.environ["MODELSCOPE_ENDPOINT"].rstrip("/")
    if os.environ.get("MODELSCOPE_DOMAIN"):
        scheme = os.environ.get("MODELSCOPE_URL_SCHEME", "https://")
        return (scheme + os.environ["MODELSCOPE_DOMAIN"]).rstrip("/")
    return MS_DEFAULT


def endpoint_of(source: str) -> str:
    if source == "github":
        from compass_datasets.github import api_endpoint

        return api_endpoint()
    return hf_endpoint() if source == "hf" else ms_endpoint()


# ---------------------------------------------------------------------------
# Hugging Face hub
# ---------------------------------------------------------------------------


def hf_download(repo: str, revision: str, patterns: tuple[str, ...], *, timeout: float,
                progress: bool = True, optional: tuple[str, ...] = ()) -> Download:
    try:
        import huggingface_hub as hub
        from huggingface_hub import errors as hub_errors
    except ImportError:
        raise CompassError("fetching from the Hugging Face hub needs huggingface_hub: "
                           "pip install 'compass-eval[data]'") from None
    endpoint = hf_endpoint()
    api = hub.HfApi(endpoint=endpoint, library_name="compass-eval")
    try:
        info = api.repo_info(repo, repo_type="dataset", revision=revision, timeout=timeout)
    except hub_errors.RevisionNotFoundError:
        raise NotFound(f"dataset repository {repo} has no revision {revision!r} at {endpoint}") from None
    except hub_errors.RepositoryNotFoundError:
        raise NotFound(f"dataset repository {repo} not found at {endpoint} (HTTP 404, or gated: set HF_TOKEN)") from None
    except hub_errors.HfHubHTTPError as exc:
        raise Unreachable(f"the hub at {endpoint} answered {_status(exc)} for {repo}") from None
    except Exception as exc:  # connection refused, DNS, timeouts (httpx / requests errors)
        raise Unreachable(f"cannot reach the Hugging Face hub at {endpoint} ({_reason(exc)})") from None
    sha = info.sha or revision
    listed = [s.rfilename for s in (info.siblings or [])]
    if listed:  # the repo info lists the files: a pattern that matches none is a clear error now
        for pattern in patterns:
            if not any(fnmatch.fnmatch(f, pattern) for f in listed):
                raise NotFound(f"dataset repository {repo}@{sha[:12]} has no file matching {pattern!r} "
                               f"(HTTP 404)")
    if not progress:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        root = hub.snapshot_download(repo, repo_type="dataset", revision=sha, allow_patterns=[*patterns, *optional],
                                     endpoint=endpoint, etag_timeout=timeout)
    except hub_errors.EntryNotFoundError as exc:
        raise NotFound(f"dataset repository {repo}@{sha[:12]}: file not found (HTTP 404): {_reason(exc)}") from None
    except hub_errors.HfHubHTTPError as exc:
        raise Unreachable(f"download from {repo} at {endpoint} failed: {_status(exc)}") from None
    except hub_errors.LocalEntryNotFoundError as exc:
        raise Unreachable(f"cannot download {repo} from {endpoint} ({_reason(exc)})") from None
    except OSError as exc:
        raise Unreachable(f"download from {repo} at {endpoint} failed ({_reason(exc)})") from None
    root = Path(root)
    got = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
    missing = [pat for pat in patterns if not any(fnmatch.fnmatch(f, pat) for f in got)]
    if missing:
        raise NotFound(f"dataset repository {repo}@{sha[:12]} has no file matching {missing[0]!r} (HTTP 404)")
    files = {rel: sha256_file(p) for rel, p in sorted(got.items())
             if any(fnmatch.fnmatch(rel, pat) for pat in (*patterns, *optional))}
    return Download("hf", endpoint, repo, revision, sha, root, files)


def _status(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return f"HTTP {code}" if code else _reason(exc)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# ---------------------------------------------------------------------------
# ModelScope (documented HTTP API)
# ---------------------------------------------------------------------------


def _ms_cache() -> Path:
    if os.environ.get("MODELSCOPE_CACHE"):
        return Path(os.environ["MODELSCOPE_CACHE"]).expanduser() / "compass-datasets"
    from compass.sdk import cache_root

    return cache_root() / "modelscope"


def _ms_get(url: str, timeout: float, headers: dict | None = None):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, headers={"User-Agent": "compass-eval", **(headers or {})})
    token = os.environ.get("MODELSCOPE_API_TOKEN")
    if token:
        req.add_header("Cookie", f"m_session_id={token}")
    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotFound(f"HTTP 404 for {url}") from None
        raise Unreachable(f"ModelScope at {ms_endpoint()} answered HTTP {exc.code} for {url}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"cannot reach ModelScope at {ms_endpoint()} ({reason})") from None


def ms_list(repo: str, revision: str, timeout: float) -> tuple[list[dict], str]:
    """The files of a ModelScope dataset repository, and the commit the listing names.

    As ModelScope's own client does: ``/api/v1/datasets/<owner>/<name>`` gives the dataset's
    numeric id, ``/api/v1/datasets/<id>/repo/tree`` lists its files page by page.
    """
    from urllib.parse import urlencode

    base = ms_endpoint()
    try:
        with _ms_get(f"{base}/api/v1/datasets/{repo}", timeout) as resp:
            info = json.loads(resp.read().decode("utf-8"))
    except NotFound:
        raise NotFound(f"dataset repository {repo} not found at {base} (HTTP 404)") from None
    dataset_id = (info.get("Data") or {}).get("Id") if isinstance(info, dict) else None
    if info.get("Code") not in (None, 200) or dataset_id is None:
        raise NotFound(f"dataset repository {repo} not found at {base}: {info.get('Message') or info.get('Code')}")
    out: list[dict] = []
    sha = ""
    page, size = 1, 100
    while True:
        query = urlencode({"Revision": revision, "Root": "/", "Recursive": "True", "PageNumber": page,
                           "PageSize": size})
        try:
            with _ms_get(f"{base}/api/v1/datasets/{dataset_id}/repo/tree?{query}", timeout) as resp:
                doc = json.loads(resp.read().decode("utf-8"))
        except NotFound:
            raise NotFound(f"dataset repository {repo} has no revision {revision!r} at {base} (HTTP 404)") from None
        data = doc.get("Data") or {}
        if doc.get("Code") not in (None, 200) or not isinstance(data, dict):
            raise NotFound(f"dataset repository {repo} (revision {revision!r}) not found at {base}: "
                           f"{doc.get('Message') or doc.get('Code')}")
        entries = data.get("Files") or []
        batch = [f for f in entries if f.get("Type", "blob") != "tree"]
        sha = sha or next((str(f.get("CommitId") or f.get("Revision")) for f in batch
                           if f.get("CommitId") or f.get("Revision")), "")
        out += batch
        if len(entries) < size:
            return out, sha
        page += 1


def ms_download(repo: str, revision: str, patterns: tuple[str, ...], *, timeout: float,
                progress: bool = True, optional: tuple[str, ...] = ()) -> Download:
    from urllib.parse import urlencode

    base = ms_endpoint()
    listed, sha = ms_list(repo, revision, timeout)
    wanted = [f for f in listed if any(fnmatch.fnmatch(f["Path"], p) for p in (*patterns, *optional))]
    for pattern in patterns:
        if not any(fnmatch.fnmatch(f["Path"], pattern) for f in wanted):
            raise NotFound(f"ModelScope dataset {repo} (revision {revision!r}) has no file matching {pattern!r} "
                           f"(HTTP 404)")
    root = _ms_cache() / repo / (sha or revision)
    files: dict[str, str] = {}
    for entry in wanted:
        rel = entry["Path"]
        dest = root / rel
        expected = (entry.get("Sha256") or "").lower()
        if dest.exists() and (not expected or sha256_file(dest) == expected):
            files[rel] = sha256_file(dest)
            continue
        query = urlencode({"Source": "SDK", "Revision": revision, "FilePath": rel, "View": "False"})
        url = f"{base}/api/v1/datasets/{repo}/repo?{query}"
        try:
            _resume_download(url, dest, timeout, int(entry.get("Size") or 0), progress)
        except NotFound:
            raise NotFound(f"ModelScope dataset {repo}: file {rel} not found (HTTP 404)") from None
        digest = sha256_file(dest)
        if expected and digest != expected:
            dest.unlink()
            raise CompassError(f"ModelScope dataset {repo}: {rel} has sha256 {digest[:12]}…, the listing says "
                               f"{expected[:12]}…; removed, run again")
        files[rel] = digest
    return Download("modelscope", base, repo, revision, sha, root, files)


def _resume_download(url: str, dest: Path, timeout: float, size: int, progress: bool) -> None:
    """``url`` into ``dest`` by way of ``dest.incomplete``, continuing a partial one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".incomplete")
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    bar = None
    import http.client

    try:
        with _ms_get(url, timeout, headers) as resp:
            if have and resp.status != 206:  # the server sent the whole file: start over
                have = 0
            if progress:
                from tqdm.auto import tqdm

                bar = tqdm(total=size or None, initial=have, unit="B", unit_scale=True, desc=dest.name, leave=False)
            with open(part, "ab" if have else "wb") as fh:
                for block in iter(lambda: resp.read(1 << 16), b""):
                    fh.write(block)
                    if bar is not None:
                        bar.update(len(block))
    except (http.client.HTTPException, OSError) as exc:
        if isinstance(exc, CompassError):
            raise
        got = part.stat().st_size if part.exists() else 0
        raise Unreachable(f"download of {url} broke off at {got} bytes ({_reason(exc)}); "
                          f"run again to resume it") from None
    if bar is not None:
        bar.close()
    if size and part.stat().st_size != size:
        raise Unreachable(f"download of {url} stopped at {part.stat().st_size} of {size} bytes; run again to resume")
    part.replace(dest)


def download(source: str, repo: str, revision: str, patterns: tuple[str, ...], *, timeout: float,
             progress: bool = True, optional: tuple[str, ...] = ()) -> Download:
    """The files of ``repo`` matching ``patterns`` (each must match one) and ``optional``."""
    if source == "hf":
        return hf_download(repo, revision, patterns, timeout=timeout, progress=progress, optional=optional)
    if source == "modelscope":
        return ms_download(repo, revision, patterns, timeout=timeout, progress=progress, optional=optional)
    if source == "github":
        from compass_datasets.github import gh_download

        return gh_download(repo, revision, patterns, timeout=timeout, progress=progress, optional=optional)
    raise CompassError(f"unknown data source {source!r}; choose hf or modelscope")
