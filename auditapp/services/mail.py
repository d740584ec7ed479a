"""Sending email over SMTP with the configured host, port, TLS mode and credentials."""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = field(default=())


def build_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    for attachment in mail.attachments:
        message.add_attachment(attachment.content, maintype=attachment.maintype, subtype=attachment.subtype,
                               filename=attachment.filename)
    return message


def send_all(config: Mapping[str, Any], mails: Iterable[Mail]) -> int:
    """Send every mail over one SMTP connection; returns how many were sent."""
    mails = list(mails)
    if not mails:
        return 0
    host, port, mode = config["SMTP_HOST"], int(config["SMTP_PORT"]), config["SMTP_TLS"]
    if mode not in ("none", "starttls", "ssl"):
        raise ValueError(f"SMTP_TLS must be none, starttls or ssl, not {mode!r}")
    context = ssl.create_default_context()
    smtp: smtplib.SMTP = (smtplib.SMTP_SSL(host, port, context=context, timeout=60) if mode == "ssl"
                          else smtplib.SMTP(host, port, timeout=60))
    with smtp:
        if mode == "starttls":
            smtp.starttls(context=context)
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
        for mail in mails:
            smtp.send_message(build_message(mail, config["MAIL_FROM"]))
    return len(mails)


def report_mail_payload(to: str, subject: str, body: str, reports: list[tuple[str, str]]) -> dict[str, Any]:
    """A mail as a job message carries it: the PDFs by name and SHA-256 in the report storage, not
    their bytes (a region's scorecards can be megabytes; the worker reads them where they are kept)."""
    return {"to": to, "subject": subject, "body": body,
            "reports": [{"filename": name, "sha256": sha} for name, sha in reports]}


def mail_from_payload(payload: Mapping[str, Any], config: Mapping[str, Any]) -> Mail:
    from .reports import rendering_bytes

    attachments = tuple(Attachment(report["filename"], rendering_bytes(config["REPORT_DIR"], report["sha256"]))
                        for report in payload["reports"])
    return Mail(to=payload["to"], subject=payload["subject"], body=payload["body"], attachments=attachments)
