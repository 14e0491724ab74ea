"""E-mail outbox: `queue_email` writes a row in the caller's transaction; the worker sends it over SMTP.

Delivery is at least once: a row is leased (its next attempt pushed forward) before sending, so a worker that dies
mid-send lets another retry it later, and a failure is retried with exponential back-off up to a limit.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from jinja2 import TemplateNotFound
from sqlmodel import Session, col, select

from incubator.config import Settings, get_settings
from incubator.db import is_postgres, unit_of_work, utcnow
from incubator.models import EmailStatus, OutboxEmail
from incubator.storage import get_storage
from incubator.templating import render_text

log = logging.getLogger("incubator.email")
LEASE = timedelta(minutes=5)


def queue_email(
    session: Session,
    *,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    kind: str = "general",
    attachments: list[dict[str, str]] | None = None,
) -> OutboxEmail:
    """Render `templates/emails/<template>.txt` (and `.html` if present) and queue it."""
    settings = get_settings()
    ctx = {"base_url": settings.base_url, "app_name": "Incubator", **context}
    body_text = render_text(f"emails/{template}.txt", **ctx)
    try:
        body_html: str | None = render_text(f"emails/{template}.html", **ctx)
    except TemplateNotFound:  # the HTML part is optional
        body_html = None
    mail = OutboxEmail(
        to_address=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        kind=kind,
        attachments=attachments,
    )
    session.add(mail)
    session.flush()
    return mail


def build_message(mail: OutboxEmail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg["Message-ID"] = f"<{mail.id}@incubator>"
    msg.set_content(mail.body_text)
    if mail.body_html:
        msg.add_alternative(mail.body_html, subtype="html")
    storage = get_storage()
    for item in mail.attachments or []:
        maintype, _, subtype = item.get("content_type", "application/octet-stream").partition("/")
        msg.add_attachment(
            storage.read(item["storage_key"]), maintype=maintype, subtype=subtype, filename=item["filename"]
        )
    return msg


def _smtp_send(msg: EmailMessage, settings: Settings) -> None:
    if settings.smtp_tls == "ssl":
        with smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=30, context=ssl.create_default_context()
        ) as smtp:
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(msg)
        return
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(msg)


def _claim(session: Session, limit: int) -> list[OutboxEmail]:
    now = utcnow()
    stmt = (
        select(OutboxEmail)
        .where(OutboxEmail.status == EmailStatus.pending, OutboxEmail.next_attempt_at <= now)
        .order_by(col(OutboxEmail.next_attempt_at))
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    claimed = list(session.exec(stmt).all())
    for mail in claimed:
        mail.attempts += 1
        mail.next_attempt_at = now + LEASE
        session.add(mail)
    session.flush()
    return claimed


def send_due_emails(*, limit: int = 50, session: Session | None = None) -> int:
    """Send what is due. Returns how many were sent."""
    settings = get_settings()
    with unit_of_work(session) as s:
        claimed = _claim(s, limit)
        batch = [(m.id, build_message(m, settings.email_sender)) for m in claimed]
    sent = 0
    for mail_id, msg in batch:
        error: str | None = None
        try:
            if settings.email_backend == "smtp":
                _smtp_send(msg, settings)
            else:
                log.info("e-mail (console backend) to=%s subject=%s\n%s", msg["To"], msg["Subject"], msg.get_body())
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
        with unit_of_work(session) as s:
            mail = s.get(OutboxEmail, mail_id)
            if mail is None:
                continue
            if error is None:
                mail.status = EmailStatus.sent
                mail.sent_at = utcnow()
                mail.last_error = None
                sent += 1
            else:
                mail.last_error = error
                if mail.attempts >= settings.email_max_attempts:
                    mail.status = EmailStatus.failed
                else:
                    mail.next_attempt_at = utcnow() + timedelta(minutes=2 ** (mail.attempts - 1))
                log.warning("e-mail %s failed (attempt %s): %s", mail_id, mail.attempts, error)
            s.add(mail)
    return sent
