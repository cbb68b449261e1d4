"""Downloading a benchmark's files from its authors' GitHub repository, at a pinned commit.

For the benchmarks that no dataset hub holds in the layout compass reads (AGIEval v1,
GAOKAO-Bench, AlignBench), the canonical copy is the paper's GitHub repository. Through
``requests`` (a kept, widely used HTTP client, with a ``Range`` request to resume):

* ``GET {api}/repos/<owner>/<name>/commits/<rev>``: the commit a branch, tag or sha names;
* ``GET {api}/repos/<owner>/<name>/git/trees/<sha>?recursive=1``: every file of that commit,
  with its git blob hash and size;
* ``GET {raw}/<owner>/<name>/<sha>/<path>``: one file, into ``<file>.incomplete`` first,
  continued with ``Range: bytes=<have>-`` after a break, and checked against its git blob
  hash before it is used (a corrupt or truncated file is never handed on).

``GITHUB_API_URL`` (else ``https://api.github.com``) and ``COMPASS_GITHUB_RAW_URL`` (else
``https://raw.githubusercontent.com``) pick the servers; ``GITHUB_TOKEN`` is sent to GitHub's
own hosts and the ``GITHUB_API_URL`` server only, never to a raw-file mirror (the API allows 60 unauthenticated requests an hour; a fetch makes two). Files are cached
under ``<compass cache>/github/<owner>/<name>/<sha>/``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path

from compass.sdk import CompassError

from compass_datasets.transfer import Download, NotFound, Unreachable, sha256_file

API_DEFAULT = "https://api.github.com"
RAW_DEFAULT = "https://raw.githubusercontent.com"


def api_endpoint() -> str:
    return (os.environ.get("GITHUB_API_URL") or API_DEFAULT).rstrip("/")


def raw_endpoint() -> str:
    return (os.environ.get("COMPASS_GITHUB_RAW_URL") or RAW_DEFAULT).rstrip("/")


def git_blob_sha(path: Path) -> str:
    """The git object id of a file's content (``git hash-object``)."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _session():
    try:
        import requests
    except ImportError:
        raise CompassError("fetching from GitHub needs requests: pip install 'compass-eval[data]'") from None
    session = requests.Session()
    session.headers["User-Agent"] = "compass-eval"
    return session


def _token_for(url: str) -> dict:
    """``GITHUB_TOKEN`` goes to GitHub's own hosts and to the API server ``GITHUB_API_URL`` names
    (the server the token belongs to), never to a raw-file mirror."""
    token = os.environ.get("GITHUB_TOKEN")
    host = url.split("/")[2] if "//" in url else ""
    trusted = {"api.github.com", "raw.githubusercontent.com"}
    if os.environ.get("GITHUB_API_URL"):
        trusted.add(api_endpoint().split("/")[2] if "//" in api_endpoint() else "")
    return {"Authorization": f"Bearer {token}"} if token and host in trusted else {}


def _json(resp, what: str):
    try:
        return resp.json()
    except ValueError:
        raise CompassError(f"GitHub answered {what} with something that is not JSON (a proxy's page?); check "
                           f"GITHUB_API_URL, or `compass data import` the benchmark's files") from None


def _get(session, url: str, timeout: float, what: str, headers: dict | None = None, **kwargs):
    import requests

    try:
        resp = session.get(url, timeout=timeout, headers={**_token_for(url), **(headers or {})}, **kwargs)
    except requests.RequestException as exc:
        host = url.split("/")[2] if "//" in url else url
        raise Unreachable(f"cannot reach GitHub at {host} ({type(exc).__name__})") from None
    if resp.status_code == 404:
        resp.close()
        raise NotFound(f"{what} not found (HTTP 404)")
    if resp.status_code in (403, 429):
        resp.close()
        raise Unreachable(f"GitHub answered HTTP {resp.status_code} for {what} (rate limit: set GITHUB_TOKEN)")
    if resp.status_code >= 400:
        resp.close()
        raise Unreachable(f"GitHub answered HTTP {resp.status_code} for {what}")
    return resp


def gh_download(repo: str, revision: str, patterns: tuple[str, ...], *, timeout: float, progress: bool = True,
                optional: tuple[str, ...] = ()) -> Download:
    """The files of GitHub repository ``repo`` at ``revision`` matching ``patterns`` (each must
    match one) and ``optional``."""
    api = api_endpoint()
    session = _session()
    with session:
        commit = _get(session, f"{api}/repos/{repo}/commits/{revision}", timeout,
                      f"GitHub repository {repo} at {revision!r}")
        sha = str((_json(commit, f"the commit of {repo}") or {}).get("sha") or "")
        if not sha:
            raise NotFound(f"GitHub repository {repo}: {revision!r} names no commit")
        tree = _json(_get(session, f"{api}/repos/{repo}/git/trees/{sha}?recursive=1", timeout,
                          f"the file list of {repo}@{sha[:12]}"), f"the file list of {repo}")
        if tree.get("truncated"):
            raise CompassError(f"GitHub listed {repo}@{sha[:12]} only in part; fetch it with a GITHUB_TOKEN")
        listed = {e["path"]: e for e in tree.get("tree") or [] if e.get("type") == "blob" and e.get("path")}
        for pattern in patterns:
            if not any(fnmatch.fnmatch(p, pattern) for p in listed):
                raise NotFound(f"GitHub repository {repo}@{sha[:12]} has no file matching {pattern!r} (HTTP 404)")
        wanted = sorted(p for p in listed if any(fnmatch.fnmatch(p, pat) for pat in (*patterns, *optional)))
        from compass.sdk import cache_root

        root = cache_root() / "github" / repo / sha
        files: dict[str, str] = {}
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=sum(int(listed[p].get("size") or 0) for p in wanted), unit="B", unit_scale=True,
                       desc=repo, leave=False)
        try:
            for rel in wanted:
                dest = root / rel
                blob = listed[rel].get("sha", "")
                if not (dest.is_file() and git_blob_sha(dest) == blob):
                    _fetch_file(session, f"{raw_endpoint()}/{repo}/{sha}/{rel}", dest, timeout, bar,
                                f"{repo}@{sha[:12]}: file {rel}")
                    if blob and git_blob_sha(dest) != blob:
                        dest.unlink()
                        raise CompassError(f"GitHub repository {repo}@{sha[:12]}: {rel} does not match its git blob "
                                           f"{blob[:12]}; removed, run again")
                elif bar is not None:
                    bar.update(dest.stat().st_size)
                files[rel] = sha256_file(dest)
        finally:
            if bar is not None:
                bar.close()
    return Download("github", api, repo, revision, sha, root, files)


def _fetch_file(session, url: str, dest: Path, timeout: float, bar, what: str) -> None:
    """``url`` into ``dest`` by way of ``dest.incomplete``, continuing a partial one."""
    import requests

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".incomplete")
    have = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity", **({"Range": f"bytes={have}-"} if have else {})}
    try:
        resp = _get(session, url, timeout, what, headers=headers, stream=True)
    except Unreachable as exc:
        if not (have and "HTTP 416" in str(exc)):
            raise
        part.unlink()  # a whole file left behind (killed before it was renamed): fetch it again
        have, headers = 0, {"Accept-Encoding": "identity"}
        resp = _get(session, url, timeout, what, headers=headers, stream=True)
    with resp:
        if have and resp.status_code != 206:  # the server sent the whole file: start over
            have = 0
        try:
            with open(part, "ab" if have else "wb") as fh:
                for block in resp.iter_content(1 << 16):
                    fh.write(block)
                    if bar is not None:
                        bar.update(len(block))
        except (requests.RequestException, OSError) as exc:
            got = part.stat().st_size if part.exists() else 0
            raise Unreachable(f"download of {url} broke off at {got} bytes ({type(exc).__name__}); "
                              f"run again to resume it") from None
    expected = resp.headers.get("Content-Range", "").rpartition("/")[2] if have else resp.headers.get("Content-Length")
    if expected and expected.isdigit() and part.stat().st_size != int(expected):
        raise Unreachable(f"download of {url} stopped at {part.stat().st_size} of {expected} bytes; "
                          f"run again to resume it")
    part.replace(dest)
