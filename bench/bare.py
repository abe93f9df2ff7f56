"""The bare Flask endpoint the web benchmark compares each page with: gunicorn serves it the same way."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    """The cheapest page Flask can serve."""
    return "Hello"
