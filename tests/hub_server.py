"""Loopback servers speaking the parts of the Hugging Face hub's and ModelScope's HTTP APIs
that dataset downloads use, serving files a test gives them.

Hugging Face hub (what ``huggingface_hub`` calls):

* ``GET /api/datasets/<repo>/revision/<rev>``: repository info (``sha``, ``siblings``);
* ``GET /api/datasets/<repo>/tree/<rev>?recursive=…``: the file listing (``path``, ``size``, ``oid``);
* ``HEAD|GET /datasets/<repo>/resolve/<rev>/<file>``: a file, with ``X-Repo-Commit``, ``ETag``,
  ``Content-Length``, and ``Range`` requests answered with 206.

ModelScope (the dataset requests its own client makes):

* ``GET /api/v1/datasets/<owner>/<name>``: ``{"Code": 200, "Data": {"Id": <number>, …}}``;
* ``GET /api/v1/datasets/<id>/repo/tree?Revision=…&PageNumber=…&PageSize=…``:
  ``{"Code": 200, "Data": {"Files": [...]}}`` with ``Path``, ``Type``, ``Size``, ``Sha256``, ``CommitId``;
* ``GET /api/v1/datasets/<owner>/<name>/repo?Revision=…&FilePath=…``: a file (``Range`` answered).

GitHub (the requests :mod:`compass_datasets.github` makes; one server answers both hosts):

* ``GET /repos/<owner>/<name>/commits/<rev>``: ``{"sha": …}``;
* ``GET /repos/<owner>/<name>/git/trees/<sha>?recursive=1``: ``{"tree": [{"path", "type", "sha", "size"}]}``
  with each file's git blob hash;
* ``GET /<owner>/<name>/<sha>/<path>``: a file, as raw.githubusercontent.com serves it (``Range`` answered).

Every request is logged (``server.log``); ``break_once[path] = n`` sends only the first n
bytes of that file once and then drops the connection (a download cut off half-way).
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


class Repo:
    """One repository: ``{path: bytes}`` at one or more revisions (all the same files)."""

    def __init__(self, files: dict[str, bytes], revisions=("main",), sha: str | None = None):
        self.files = dict(files)
        blob = b"".join(k.encode() + hashlib.sha256(v).digest() for k, v in sorted(self.files.items()))
        self.sha = sha or hashlib.sha1(blob).hexdigest()
        self.revisions = set(revisions) | {self.sha}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class HubServer:
    """Start with ``with HubServer(repos) as hub:``; ``hub.url`` is the endpoint."""

    kind = "hf"

    def __init__(self, repos: dict[str, Repo]):
        self.repos = repos
        self.log: list[tuple[str, str, dict]] = []
        self.break_once: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                outer._handle(self, head=True)

            def do_GET(self):
                outer._handle(self, head=False)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- helpers --------------------------------------------------------------

    @staticmethod
    def _json(h, code: int, doc, head: bool = False, headers: dict | None = None) -> None:
        body = json.dumps(doc).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if not head:
            h.wfile.write(body)

    def _file(self, h, repo: Repo, path: str, head: bool, key: str) -> None:
        data = repo.files[path]
        etag = hashlib.sha256(data).hexdigest()
        start = 0
        rng = h.headers.get("Range")
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0] or 0)
        body = data[start:]
        h.send_response(206 if start else 200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("ETag", f'"{etag}"')
        h.send_header("X-Repo-Commit", repo.sha)
        h.send_header("Accept-Ranges", "bytes")
        if start:
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        h.end_headers()
        if head:
            return
        cut = self.break_once.pop(key, None)
        if cut is not None:
            h.wfile.write(body[:cut])
            h.wfile.flush()
            h.close_connection = True
            try:
                h.connection.shutdown(2)
            except OSError:
                pass
            return
        h.wfile.write(body)

    def _handle(self, h, head: bool) -> None:
        parts = urlsplit(h.path)
        self.log.append((h.command, unquote(parts.path), {k.lower(): v for k, v in h.headers.items()}))
        try:
            self.route(h, parts, head)
        except KeyError:
            self._json(h, 404, {"error": "not found"}, head, {"X-Error-Code": "EntryNotFound"})

    def _repo(self, path: str) -> tuple[str, Repo | None, str]:
        """``owner/name`` and the rest of a path that starts with a repository id."""
        bits = path.split("/")
        repo_id = "/".join(bits[:2])
        return repo_id, self.repos.get(repo_id), "/".join(bits[2:])

    def route(self, h, parts, head: bool) -> None:
        path = parts.path
        if path.startswith("/api/datasets/"):
            repo_id, repo, rest = self._repo(path[len("/api/datasets/"):])
            if repo is None:
                return self._json(h, 404, {"error": f"Repository {repo_id} not found"}, head,
                                  {"X-Error-Code": "RepoNotFound"})
            if rest.startswith("revision/"):
                rev = unquote(rest[len("revision/"):])
                if rev not in repo.revisions:
                    return self._json(h, 404, {"error": f"Invalid rev id: {rev}"}, head,
                                      {"X-Error-Code": "RevisionNotFound"})
                return self._json(h, 200, {"id": repo_id, "sha": repo.sha, "private": False,
                                           "siblings": [{"rfilename": f} for f in sorted(repo.files)]}, head)
            if rest.startswith("tree/"):
                listing = [{"type": "file", "path": f, "size": len(d), "oid": hashlib.sha1(d).hexdigest()}
                           for f, d in sorted(repo.files.items())]
                return self._json(h, 200, listing, head)
            raise KeyError(rest)
        if path.startswith("/datasets/"):
            repo_id, repo, rest = self._repo(path[len("/datasets/"):])
            if repo is None or not rest.startswith("resolve/"):
                return self._json(h, 404, {"error": "Repository not found"}, head, {"X-Error-Code": "RepoNotFound"})
            rest = unquote(rest[len("resolve/"):])
            rev = next((r for r in sorted(repo.revisions, key=len, reverse=True) if rest.startswith(r + "/")), None)
            if rev is None:
                return self._json(h, 404, {"error": "Invalid rev id"}, head, {"X-Error-Code": "RevisionNotFound"})
            file = rest[len(rev) + 1:]
            if file not in repo.files:
                return self._json(h, 404, {"error": "Entry not found"}, head, {"X-Error-Code": "EntryNotFound"})
            return self._file(h, repo, file, head, file)
        raise KeyError(path)


class ModelScopeServer(HubServer):
    """ModelScope's dataset API over the same repositories (numeric ids 1, 2, … in order)."""

    kind = "modelscope"

    def route(self, h, parts, head: bool) -> None:
        path = parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if not path.startswith("/api/v1/datasets/"):
            raise KeyError(path)
        ids = {str(i): name for i, name in enumerate(self.repos, start=1)}
        rest = path[len("/api/v1/datasets/"):]
        first = rest.split("/")[0]
        if first in ids:  # /api/v1/datasets/<id>/repo/tree
            repo_id, repo, rest = ids[first], self.repos[ids[first]], "/".join(rest.split("/")[1:])
        else:
            repo_id, repo, rest = self._repo(rest)
        not_found = {"Code": 10010205001, "Message": f"dataset {repo_id} not found", "Success": False}
        if repo is None:
            return self._json(h, 404, not_found, head)
        if rest == "":
            number = next(i for i, name in ids.items() if name == repo_id)
            return self._json(h, 200, {"Code": 200, "Data": {"Id": int(number), "Type": 0}, "Success": True}, head)
        rev = query.get("Revision", "master")
        if rev not in repo.revisions | {"master"}:
            return self._json(h, 404, not_found, head)
        if rest == "repo/tree":
            files = [{"Path": f, "Name": f.rsplit("/", 1)[-1], "Type": "blob", "Size": len(d),
                      "Sha256": hashlib.sha256(d).hexdigest(), "CommitId": repo.sha}
                     for f, d in sorted(repo.files.items())]
            page, size = int(query.get("PageNumber", 1)), int(query.get("PageSize", 100))
            return self._json(h, 200, {"Code": 200, "Data": {"Files": files[(page - 1) * size: page * size]},
                                       "Success": True}, head)
        if rest == "repo":
            file = query.get("FilePath", "")
            if file not in repo.files:
                return self._json(h, 404, {"Code": 10010205001, "Message": "file not found"}, head)
            return self._file(h, repo, file, head, file)
        raise KeyError(rest)


def git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class GitHubServer(HubServer):
    """GitHub's REST API (commits, trees) and its raw file host over the same repositories."""

    kind = "github"

    def route(self, h, parts, head: bool) -> None:
        path = unquote(parts.path)
        if path.startswith("/repos/"):
            repo_id, repo, rest = self._repo(path[len("/repos/"):])
            if repo is None:
                return self._json(h, 404, {"message": "Not Found"}, head)
            if rest.startswith("commits/"):
                if rest[len("commits/"):] not in repo.revisions:
                    return self._json(h, 422 if len(rest) > 40 else 404, {"message": "No commit found"}, head)
                return self._json(h, 200, {"sha": repo.sha, "commit": {"message": "fixture"}}, head)
            if rest.startswith("git/trees/"):
                if rest[len("git/trees/"):] != repo.sha:
                    return self._json(h, 404, {"message": "Not Found"}, head)
                folders = sorted({"/".join(f.split("/")[:i]) for f in repo.files for i in range(1, f.count("/") + 1)})
                tree = [{"path": d, "mode": "040000", "type": "tree", "sha": "0" * 40} for d in folders]
                tree += [{"path": f, "mode": "100644", "type": "blob", "sha": git_blob(d), "size": len(d)}
                         for f, d in sorted(repo.files.items())]
                return self._json(h, 200, {"sha": repo.sha, "tree": tree, "truncated": False}, head)
            raise KeyError(rest)
        repo_id, repo, rest = self._repo(path.lstrip("/"))  # the raw host: /<owner>/<name>/<sha>/<path>
        sha, _, file = rest.partition("/")
        if repo is None or sha not in repo.revisions or file not in repo.files:
            return self._json(h, 404, {"message": "404: Not Found"}, head)
        return self._file(h, repo, file, head, file)
