"""Email over SMTP (smtplib): one text/plain mail per message.

The subject names the first alert, ``[P0 FIRING] primary_dead prod-main (+2 more)``; the body is
``text_body``.  ``Message-ID`` is derived from the message id, so the copy a retry may send after
a lost answer carries the same Message-ID and a reader (or a filter) can spot it.

    channels:
      mail: {type: email, host: smtp.example, port: 587, username: mysqlha, password_env: SMTP_PASSWORD,
             from: "mysqlha <mysqlha@example.com>", to: [dba@example.com]}

``tls``: ``starttls`` (the default on port 587), ``ssl`` (the default on port 465, and the default
port with ``tls: ssl``) or ``none``.  A recipient the server refuses while it accepts others is
not retried (that would mail the others again).
"""
from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from ansible_collections.dbaops.mysql_ha.engine.notify.base import Channel, Message, NotifyError, read_secret, text_body
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

TLS_MODES = ("starttls", "ssl", "none")
_ADDRESS_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_MSGID_SAFE_RE = re.compile(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]")


def subject(message: Message, limit: int = 200) -> str:
    """``[P0 FIRING] primary_dead prod-main`` for the first alert, ``(+N more)``, the kind when
    it is a repeat or an escalation.  One line: CR and LF become spaces."""
    if not message.alerts:
        return f"[mysqlha] {message.kind}"
    first = message.alerts[0]
    state = str(first.get("state") or "").upper()
    line = " ".join(str(x) for x in (f"[{first.get('severity')} {state}]", first.get("rule"), first.get("cluster")) if x)
    if len(message.alerts) > 1:
        line += f" (+{len(message.alerts) - 1} more)"
    if message.kind in ("repeat", "escalation"):
        line += f" ({message.kind})"
    line = " ".join(line.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def message_id(message: Message, domain: str) -> str:
    """The same ``<…@domain>`` for every send of ``message``."""
    local = _MSGID_SAFE_RE.sub("-", message.id)[:64].strip(".") or "x"
    digest = hashlib.sha256(message.id.encode("utf-8")).hexdigest()[:12]
    return f"<mysqlha.{local}.{digest}@{domain}>"


def check_address(value: object, where: str) -> tuple[str, str]:
    """(as written, bare address) of ``a@b`` or ``Name <a@b>``."""
    if not isinstance(value, str) or not value.strip() or "\r" in value or "\n" in value:
        raise ConfigError(f"{where}: expected an email address, got {value!r}")
    _name, address = parseaddr(value)
    if not _ADDRESS_RE.match(address):
        raise ConfigError(f"{where}: {value!r} is not an email address")
    return value.strip(), address


def quit_quietly(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


class Email(Channel):
    type = "email"
    fields = frozenset({"host", "port", "tls", "username", "password", "password_env", "password_file", "from", "to"})

    def __init__(self, name: str, spec: dict, env=None):
        super().__init__(name, spec, env)
        host = spec.get("host")
        if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host.strip()):
            raise ConfigError(f"{self.where}.host: an SMTP server name or address is required")
        self.host = host.strip()
        tls = spec.get("tls")
        if tls is not None and tls not in TLS_MODES:
            raise ConfigError(f"{self.where}.tls: one of {', '.join(TLS_MODES)}, got {tls!r}")
        port = spec.get("port", 465 if tls == "ssl" else 25)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ConfigError(f"{self.where}.port: a TCP port from 1 to 65535, got {port!r}")
        self.port = port
        self.tls: str = tls or {587: "starttls", 465: "ssl"}.get(port, "none")
        username = spec.get("username")
        if username is not None and (not isinstance(username, str) or not username):
            raise ConfigError(f"{self.where}.username: expected a non-empty string")
        self.username: str | None = username
        self.password = read_secret(spec, "password", self.where, required=username is not None, env=env)
        if self.password and username is None:
            raise ConfigError(f"{self.where}: a password needs a username")
        if spec.get("from") is None:
            raise ConfigError(f"{self.where}.from: the sender address is required")
        self.sender, self.envelope_from = check_address(spec.get("from"), f"{self.where}.from")
        recipients = spec.get("to")
        if isinstance(recipients, str):
            recipients = [recipients]
        if not isinstance(recipients, list) or not recipients:
            raise ConfigError(f"{self.where}.to: a list of one or more recipient addresses is required")
        checked = [check_address(item, f"{self.where}.to[{index}]") for index, item in enumerate(recipients)]
        self.recipients = [written for written, _bare in checked]
        self.envelope_to = [bare for _written, bare in checked]

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Subject"] = subject(message)
        mail["Date"] = formatdate(message.created_at or time.time(), usegmt=True)
        mail["Message-ID"] = message_id(message, self.envelope_from.rpartition("@")[2])
        mail["X-Mysqlha-Kind"] = message.kind
        mail.set_content(text_body(message, limit=100_000) + "\n")
        return mail

    def _clean(self, text: str) -> str:
        return text.replace(self.password, "***") if self.password else text

    def send(self, message: Message) -> None:
        mail = self.build(message)
        where = f"channel {self.name} (smtp {self.host}:{self.port})"
        client: smtplib.SMTP | None = None
        try:
            if self.tls == "ssl":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if self.username and self.password:
                client.login(self.username, self.password)
            client.send_message(mail, self.envelope_from, self.envelope_to)
            quit_quietly(client)   # delivered: a failing QUIT must not make the outbox send it again
            client = None
        except smtplib.SMTPResponseException as exc:
            detail = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise NotifyError(self._clean(f"{where}: {type(exc).__name__}: {exc.smtp_code} {detail[:200]}")) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotifyError(f"{where}: every recipient refused: {', '.join(sorted(exc.recipients))}") from None
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise NotifyError(self._clean(f"{where}: {type(exc).__name__}: {exc}")) from None
        finally:
            if client is not None:
                client.close()
