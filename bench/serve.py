"""Serve a WSGI app with real gunicorn and the repository's gunicorn.conf.py, on a free loopback port.

Used by the web benchmark, the load test and the fault tests, so all of them measure or break
the app as it is deployed.
"""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running gunicorn: its master process, address and log file."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def workers(self) -> list[int]:
        """The process ids of the master's workers."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children]

    def log_text(self) -> str:
        """Everything gunicorn and the app have written so far."""
        return self.log.read_text(errors="replace")

    def wait_until_serving(self, path: str = "/healthz", seconds: float = 120) -> None:
        """Wait for ``path`` to answer 200 (every worker booted or not, one answers)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{self.log_text()[-5000:]}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"nothing answered at {self.base}{path} within {seconds:.0f} s:\n{self.log_text()[-5000:]}")


@contextmanager
def gunicorn(app: str, log: Path, workers: int | None = 2, env: Mapping[str, str] | None = None,
             ready_path: str = "/healthz", extra: Sequence[str] = ()) -> Iterator[Server]:
    """Run ``gunicorn --config gunicorn.conf.py`` on ``app`` until the block ends.

    ``workers`` sync workers, or as many as gunicorn.conf.py sets for this machine when None.
    """
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}",
               *(["--workers", str(workers)] if workers is not None else []), *extra, app]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                                   env={**os.environ, **(env or {})})
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        server.wait_until_serving(ready_path)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def assess_worker(log: Path, env: Mapping[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """Run `assess worker` (drawing queued PDFs) with the app's environment until the block ends."""
    with log.open("wb") as output:
        process = subprocess.Popen([str(Path(sys.executable).parent / "assess"), "worker"], cwd=ROOT, stdout=output,
                                   stderr=subprocess.STDOUT, env={**os.environ, **env})
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand redirects back to the caller, as a browser's network log shows them."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


@dataclass(frozen=True)
class Answer:
    """One HTTP response: status, body text and headers."""

    status: int
    text: str
    headers: Mapping[str, str]


class Browser:
    """A person's browser on loopback: keeps the session cookie, does not follow redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, path: str, form: Mapping[str, str] | None = None, timeout: float = 60) -> Answer:
        """GET ``path``, or POST ``form`` to it when given; any status is returned, never raised."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self._opener.open(self.base + path, data=data, timeout=timeout) as answer:
                return Answer(answer.status, answer.read().decode(errors="replace"), dict(answer.headers))
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.read().decode(errors="replace"), dict(error.headers))

    def sign_in(self, email: str, password: str) -> None:
        """Sign in through the sign-in form; raises if it does not redirect onwards."""
        page = self.request("/sign-in")
        signed_in = self.request("/sign-in", {**hidden_fields(page.text), "email": email, "password": password})
        if signed_in.status != 302:
            raise RuntimeError(f"could not sign in as {email}: {signed_in.status}")

    def cookie_header(self) -> str:
        """The Cookie header this browser sends (for a load generator to send the same)."""
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page's forms (the CSRF token, a section's lock_version), by name."""
    fields = (dict(ATTRIBUTE.findall(tag)) for tag in HIDDEN_INPUT.findall(page))
    return {field["name"]: html.unescape(field.get("value", "")) for field in fields if "name" in field}
