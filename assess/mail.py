"""Email: messages from templates, sent through SMTP or written to an outbox folder (the default).

The outbox (instance/outbox, one .eml file a message) is for development and the demo: nothing
leaves the machine. A deployment sets ASSESS_MAIL_BACKEND=smtp and the server's details.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app, render_template, url_for


@dataclass(frozen=True)
class Email:
    """One message to one person, in plain text and HTML."""

    to: str
    subject: str
    text: str
    html: str


class MailError(Exception):
    """A message could not be sent; the text says to whom and why."""


def compose(template: str, to: str, subject: str, **context: Any) -> Email:
    """A message from templates/emails/TEMPLATE.txt and .html."""
    context = {"service_name": current_app.config["SERVICE_NAME"], **context}
    return Email(to=to, subject=subject, text=render_template(f"emails/{template}.txt", **context),
                 html=render_template(f"emails/{template}.html", subject=subject, **context))


def external_url(endpoint: str, **values: Any) -> str:
    """A full address for a link in an email, built on BASE_URL (never on a request's Host header)."""
    base = current_app.config["BASE_URL"].rstrip("/") + "/"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def _message(email: Email) -> EmailMessage:
    config = current_app.config
    sender = config["MAIL_SENDER"]
    message = EmailMessage()
    message["From"] = formataddr((config["MAIL_SENDER_NAME"] or config["SERVICE_NAME"], sender))
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


def send(email: Email) -> None:
    """Send one message by the configured backend; MailError if it could not be sent."""
    message = _message(email)
    config = current_app.config
    if config["MAIL_BACKEND"] == "smtp":
        _send_smtp(message, config)
        return
    outbox = Path(config["MAIL_OUTBOX"] or Path(current_app.instance_path) / "outbox")
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    (outbox / f"{stamp}-{email.to.replace('/', '_')}.eml").write_bytes(bytes(message))


def _send_smtp(message: EmailMessage, config: Any) -> None:
    host, port, security = config["MAIL_SERVER"], int(config["MAIL_PORT"]), config["MAIL_SECURITY"]
    try:
        if security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=30, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=30)
        with client:
            if security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"could not send the email to {message['To']} through {host}:{port}: {error}") from None
