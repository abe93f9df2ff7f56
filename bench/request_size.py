"""The largest form post a gunicorn worker accepts, and the worker's memory for each size (not part of the tests).

A signed-in member posts one section page with its CSRF token and one comment of each size, url-encoded (as a
browser sends a form), to one sync worker of real gunicorn on a throwaway SQLite database. For each size it prints
the status, the time to the answer, and how much the worker's peak resident memory (VmHWM) grew; sizes go up, so
each growth is what that size needed beyond every smaller one. The worker is then asked for a page, to show that
it still serves and that the member is still signed in.

Usage: python -m bench.request_size [--sizes 1,3.99,4.01,50,100] (megabytes)
"""

from __future__ import annotations

import argparse
import tempfile
import time
import urllib.error
import urllib.parse
from pathlib import Path

from bench.serve import Browser, gunicorn, hidden_fields
from bench.site import PASSWORD, build_site, server_environment

MEGABYTE = 1024 * 1024


def _peak_kilobytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def _post(browser: Browser, path: str, body: bytes) -> int:
    request = urllib.request.Request(browser.base + path, data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with browser._opener.open(request, timeout=120) as answer:
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as error:
        with error:
            error.read()
            return int(error.code)
    except OSError as error:  # the connection closed before an answer came
        return -int(getattr(error, "errno", 0) or 1)


def main() -> None:
    """Post each size and print what it cost."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,3.99,4.01,50,100", help="Comment sizes in MB, comma-separated.")
    sizes = [float(size) for size in parser.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite"
        site = build_site(url, 0)
        with gunicorn("assess:create_app()", Path(folder) / "gunicorn.log", workers=1,
                      env=server_environment(url, folder)) as server:
            browser = Browser(server.base)
            browser.sign_in("member@demo.example", PASSWORD)
            section = f"/councils/DEMO/rounds/{site.round_id}/leadership/vision-and-priorities"
            worker = server.workers()[0]
            print(f"{'MB sent':>8} {'status':>6} {'seconds':>8} {'worker peak (MB)':>17} {'growth (MB)':>12}")  # noqa: T201
            for size in sizes:
                fields = hidden_fields(browser.request(section).text)
                head = urllib.parse.urlencode({**fields, "action": "continue"}).encode() + b"&comment="
                body = head + b"x" * max(0, int(size * MEGABYTE) - len(head))
                before, started = _peak_kilobytes(worker), time.monotonic()
                status = _post(browser, section, body)
                seconds = time.monotonic() - started
                grown = (_peak_kilobytes(worker) - before) / 1024
                shown = str(status) if status > 0 else "closed"  # urllib sends it all first: the answer came too late
                print(f"{len(body) / MEGABYTE:8.2f} {shown:>6} {seconds:8.2f} {_peak_kilobytes(worker) / 1024:17.1f} "  # noqa: T201
                      f"{grown:12.1f}")
            after = browser.request(section)
            print(f"then the section page: {after.status}"  # noqa: T201
                  f"{' (still signed in)' if after.status == 200 else ''}")


if __name__ == "__main__":
    main()
