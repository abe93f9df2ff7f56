"""gunicorn settings for serving assess: `gunicorn --config gunicorn.conf.py 'assess:create_app()'`.

Options given on the command line win over these (`--workers 2`, `--bind ...`), and so do
GUNICORN_CMD_ARGS; the environment variables below change the defaults without editing the file.
"""

from __future__ import annotations

import os

#: Where to listen: a loopback address behind a reverse proxy on the same machine, or the address
#: the load balancer reaches.
bind = os.environ.get("ASSESS_BIND", "127.0.0.1:8000")

#: Sync workers: each handles one request at a time in its own process, so a slow page (a PDF) holds
#: one worker, never the others, and the app needs no thread safety beyond one request. Pages spend
#: most of their time on the CPU (templates, reportlab), so about two workers a core keep every core
#: busy while some wait for the database; ASSESS_WORKERS sets another number.
worker_class = "sync"
workers = int(os.environ.get("ASSESS_WORKERS", 2 * (os.cpu_count() or 1) + 1))

#: A worker silent for this long (a request stuck on a dead database connection, say) is killed and
#: replaced; the largest PDF takes a few seconds, far below it.
timeout = 60
#: On restart (SIGHUP) or stop (SIGTERM), requests in flight get this long to finish.
graceful_timeout = 30
#: Replace each worker after about this many requests, so slow growth in memory never accumulates.
max_requests = 2000
max_requests_jitter = 200

#: Not preloaded: each worker builds its own app, so no database connection is ever shared across
#: the fork (a connection used by two processes corrupts both).
preload_app = False

#: The proxies whose X-Forwarded-Proto (and X-Forwarded-For) gunicorn believes. Only there does a
#: request count as HTTPS (request.is_secure, and so Secure session cookies) when the proxy ended
#: TLS. Set FORWARDED_ALLOW_IPS to the proxy's or load balancer's addresses (comma-separated);
#: never "*" unless nothing but the proxy can reach gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

#: The app logs every request itself as a JSON line with its request id (assess/logs.py), so
#: gunicorn's own access log is off; its error log (starts, stops, killed workers) goes to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"
