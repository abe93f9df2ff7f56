"""The README's deployment section, run as written: a non-editable install outside the checkout, served by gunicorn.

The commands are read from the README itself (with the paths, database and port of this test put
in), so the README cannot drift from what works. Slow by nature (a fresh virtual environment and a
pip install), so it runs once per suite run; it is what proves that the templates, static files,
JSON Schema, migrations and the standard questionnaire library are part of the installed package.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, OpenerDirector, build_opener

import pytest

from tests.conftest import CSRF_FIELD, ROOT

#: What a source copy leaves out: nothing a deployment gets from a clean checkout.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "instance", "build", "dist", "*.egg-info", "__pycache__",
                                    ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "out")
README_DATABASE = "postgresql://assess@db.internal/assess"
README_BIND = "127.0.0.1:8000"


def readme_deployment() -> list[str]:
    """The command lines of the README's "Deploying on PostgreSQL with gunicorn" section."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Deploying on PostgreSQL with gunicorn\n.*?```sh\n(.*?)```", readme, re.S)
    assert block, "the README has no deployment section with a sh block"
    return block.group(1).strip().splitlines()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(browser: OpenerDirector, url: str, server: subprocess.Popen[str], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the deployment stopped before serving:\n{server.communicate()[0]}")
        try:
            return str(browser.open(url, timeout=5).read().decode())
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"nothing answered at {url} within {seconds:.0f} s")


def test_the_readme_deployment_serves_pages_and_reports(scratch_url: str, tmp_path: Path) -> None:
    source, server_root, port = tmp_path / "assess-source", tmp_path / "srv", _free_port()
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    lines = readme_deployment()
    assert lines[-1].endswith(
        f"gunicorn --config /srv/assess/gunicorn.conf.py --bind {README_BIND} 'assess:create_app()'")
    assert any(README_DATABASE in line for line in lines)
    script = "\n".join(lines).replace("/path/to/assess", str(source)).replace("/srv/assess", str(server_root)) \
        .replace(README_DATABASE, scratch_url).replace(README_BIND, f"127.0.0.1:{port}")
    setup, serve = script.rsplit("\n", 1)
    bin_ = server_root / "venv" / "bin"
    # After the README's set-up: nothing more may come from the source, then a demo council and its
    # reports from the CLI, then the README's own gunicorn line.
    extra = f"""
rm -rf {source}
{bin_}/python -c 'import assess; print("installed at", assess.__file__)'
{bin_}/assess demo --password deploy-password-1
{bin_}/assess report DEMO --out {tmp_path}/demo.pdf
{bin_}/assess report DEMO --out {tmp_path}/demo.html
"""
    server = subprocess.Popen(["bash", "-c", f"set -euo pipefail\n{setup}\n{extra}\nexec {serve}"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              # The interpreter running the tests is the server's python3; no ASSESS_* leaks in.
                              env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(Path.home())},
                              start_new_session=True)  # gunicorn and the README's worker, stopped together
    try:
        browser = build_opener(HTTPCookieProcessor(CookieJar()))
        base = f"http://127.0.0.1:{port}"
        page = _wait_for(browser, f"{base}/sign-in", server, seconds=600)
        assert "Sign in" in page
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page)
        assert stylesheet and browser.open(base + stylesheet.group(1), timeout=5).status == 200
        assert browser.open(f"{base}/healthz", timeout=5).read() == b"ok\n"
        token = CSRF_FIELD.search(page)
        assert token
        form = urlencode({"csrf_token": token.group(1) or token.group(2), "email": "lead@demo.example",
                          "password": "deploy-password-1"}).encode()
        home = browser.open(f"{base}/sign-in", data=form, timeout=10)
        assert home.status == 200 and "Demo Borough" in home.read().decode()
        # The README's worker draws the PDF; until then the download says it is being prepared.
        deadline = time.monotonic() + 120
        while True:
            profile = browser.open(f"{base}/councils/DEMO/rounds/1/profile.pdf", timeout=60)
            body = profile.read()
            if profile.headers["Content-Type"] == "application/pdf":
                break
            assert "Your PDF is being prepared" in body.decode() and time.monotonic() < deadline
            time.sleep(1)
        assert body.startswith(b"%PDF")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        log, _ = server.communicate(timeout=60)
    installed_at = re.search(r"installed at (.+)", log)
    assert installed_at and installed_at.group(1).startswith(str(bin_.parent)) and "site-packages" in log
    assert "7 valid, 0 invalid" in log and "Database is up to date." in log
    assert f"Instance folder    {server_root / 'instance'}" in log and "(up to date)" in log
    assert (tmp_path / "demo.pdf").read_bytes().startswith(b"%PDF")
    assert "Peer-challenge pack" in (tmp_path / "demo.html").read_text()
    assert '"logger": "huey.consumer"' in log and "assess.jobs.draw-pdf" in log
    assert "Traceback" not in log, log
