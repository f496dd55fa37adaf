"""Notification channels against real local servers: an HTTP server and a small SMTP receiver on
127.0.0.1.  Payload shapes, signatures, failures as NotifyError, and no secret in any error."""
from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import socket
import socketserver
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.dbaops.mysql_ha.engine.notify import build_channel, build_channels
from ansible_collections.dbaops.mysql_ha.engine.notify.alertmanager import Alertmanager
from ansible_collections.dbaops.mysql_ha.engine.notify.base import Message, NotifyError, text_body
from ansible_collections.dbaops.mysql_ha.engine.notify.dingtalk import DingTalk
from ansible_collections.dbaops.mysql_ha.engine.notify.slack import Slack
from ansible_collections.dbaops.mysql_ha.engine.notify.smtp import Email, subject
from ansible_collections.dbaops.mysql_ha.engine.notify.webhook import Webhook
from ansible_collections.dbaops.mysql_ha.engine.notify.wecom import MAX_CONTENT_BYTES, WeCom, truncate_utf8
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

TOKEN = "tok3nSECRETvalue"
SIGNING = "SECsigningSECRET42"
PASSWORD = "pa55wordSECRET"

FIRING = {"id": "a1", "rule": "primary_dead", "severity": "P0", "state": "firing", "cluster": "prod-main",
          "instance": "10.0.1.10:3306", "channel": "", "summary": "primary 10.0.1.10:3306 is dead",
          "remediation": "run mysqlha failover prod-main", "labels": {"team": "dba"},
          "started_at": "2026-11-18T10:00:00Z", "resolved_at": None, "fingerprint": "fp1"}
LAGGING = {**FIRING, "id": "a2", "rule": "replica_lag", "severity": "P2", "instance": "10.0.1.11:3306",
           "summary": "lag 120s", "labels": {}, "fingerprint": "fp2"}
RESOLVED = {**FIRING, "state": "resolved", "resolved_at": "2026-11-18T10:07:00Z"}


def message(*alerts, kind="firing", mid="msg-1"):
    return Message(id=mid, kind=kind, alerts=tuple(alerts or (FIRING,)), created_at=1795000000.0)


def assert_clean(text, *secrets):
    for secret in secrets or (TOKEN, SIGNING, PASSWORD):
        assert secret not in text


# --- a local HTTP server ------------------------------------------------------------------------

class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict] = []
        self.status, self.answer, self.hang = 200, b"", False
        self.release = threading.Event()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Recorder
    extra_headers = None   # a callable adding headers to the answer (a redirect's Location)

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urllib.parse.urlsplit(self.path)
        self.server.requests.append({"path": parts.path, "query": urllib.parse.parse_qs(parts.query),
                                     "raw_query": parts.query, "headers": dict(self.headers), "body": body})
        if self.server.hang:
            self.server.release.wait(10)
            return
        self.send_response(self.server.status)
        if Handler.extra_headers:
            Handler.extra_headers(self)
        self.send_header("Content-Length", str(len(self.server.answer)))
        self.end_headers()
        self.wfile.write(self.server.answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def http():
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def json_body(server, index=-1):
    return json.loads(server.requests[index]["body"])


def assert_hang_fails_fast(http, channel):
    http.hang = True
    started = time.monotonic()
    with pytest.raises(NotifyError) as caught:
        channel.send(message())
    assert time.monotonic() - started < 3
    assert_clean(str(caught.value))
    return str(caught.value)


# --- webhook (existing) ---------------------------------------------------------------------------

def test_webhook_posts_signed_json_with_idempotency_key(http):
    url = f"{http.base}/hook/{TOKEN}"
    hook = Webhook("ops", {"type": "webhook", "url": url, "secret": SIGNING, "headers": {"X-Team": "dba"}})
    hook.send(message(FIRING, kind="escalation", mid="m-42"))
    request = http.requests[0]
    assert request["path"] == f"/hook/{TOKEN}"
    assert json.loads(request["body"]) == {"kind": "escalation", "id": "m-42", "alerts": [FIRING]}
    headers = request["headers"]
    assert headers["Idempotency-Key"] == "m-42"
    assert headers["X-Mysqlha-Kind"] == "escalation"
    assert headers["X-Team"] == "dba"
    timestamp = headers["X-Mysqlha-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 5
    expected = hmac.new(SIGNING.encode(), f"{timestamp}.".encode() + request["body"], hashlib.sha256).hexdigest()
    assert headers["X-Mysqlha-Signature"] == f"sha256={expected}"


def test_webhook_unsigned_without_secret_and_failures_are_clean(http):
    hook = Webhook("ops", {"type": "webhook", "url": f"{http.base}/hook?token={TOKEN}", "timeout": 0.5})
    hook.send(message())
    assert "X-Mysqlha-Signature" not in http.requests[0]["headers"]
    http.status, http.answer = 500, b"boom"
    with pytest.raises(NotifyError, match="HTTP 500") as caught:
        hook.send(message())
    assert_clean(str(caught.value))
    assert "channel ops (http://127.0.0.1:" in str(caught.value)
    assert_hang_fails_fast(http, hook)


def test_webhook_config_errors():
    with pytest.raises(ConfigError, match=r"channels\.ops\.url_env: environment variable HOOK_URL is not set"):
        Webhook("ops", {"type": "webhook", "url_env": "HOOK_URL"}, env={})
    with pytest.raises(ConfigError, match=r"channels\.ops\.headers"):
        Webhook("ops", {"type": "webhook", "url": "http://h/", "headers": {"X": 1}})


def test_webhook_url_with_a_space_is_refused_at_config_time_without_its_token():
    with pytest.raises(ConfigError, match=r"channels\.ops\.url: the URL holds a space") as caught:
        Webhook("ops", {"type": "webhook", "url": f"http://127.0.0.1:9/hook?token={TOKEN} x", "timeout": 0.5})
    assert_clean(repr(caught.value))


def test_webhook_error_answer_whose_body_stalls_is_a_notify_error():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        done = threading.Event()

        def answer():
            conn, _addr = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\npartial")
                done.wait(5)

        threading.Thread(target=answer, daemon=True).start()
        hook = Webhook("ops", {"type": "webhook", "url": f"http://127.0.0.1:{listener.getsockname()[1]}/", "timeout": 0.5})
        try:
            with pytest.raises(NotifyError):
                hook.send(message())
        finally:
            done.set()


# --- DingTalk -----------------------------------------------------------------------------------

def dingtalk(http, env=None, **spec):
    return DingTalk("ding", {"type": "dingtalk", "url": f"{http.base}/robot/send?access_token={TOKEN}", **spec}, env)


def test_dingtalk_markdown_payload_and_mentions(http):
    http.answer = b'{"errcode": 0, "errmsg": "ok"}'
    dingtalk(http, at_mobiles=["13800000000"], at_all=True).send(message(FIRING, LAGGING))
    request = http.requests[0]
    assert request["path"] == "/robot/send" and request["query"] == {"access_token": [TOKEN]}
    payload = json.loads(request["body"])
    assert payload["msgtype"] == "markdown"
    assert payload["at"] == {"atMobiles": ["13800000000"], "isAtAll": True}
    assert payload["markdown"]["title"] == "[P0 FIRING] primary_dead prod-main (+1 more)"
    text = payload["markdown"]["text"]
    assert text.startswith("#### [P0 FIRING] primary_dead prod-main (+1 more)\n\n")
    assert "[P0 FIRING] primary_dead prod-main 10.0.1.10:3306: primary 10.0.1.10:3306 is dead" in text
    assert "remediation: run mysqlha failover prod-main" in text and "replica_lag" in text
    assert text.endswith("@13800000000")


def test_dingtalk_resolution_mentions_nobody(http):
    http.answer = b'{"errcode": 0, "errmsg": "ok"}'
    dingtalk(http, at_mobiles=["13800000000"], at_all=True).send(message(RESOLVED, kind="resolved"))
    payload = json_body(http)
    assert payload["at"] == {"atMobiles": [], "isAtAll": False}
    assert payload["markdown"]["title"] == "[P0 RESOLVED] primary_dead prod-main"
    assert "@138" not in payload["markdown"]["text"]


def test_dingtalk_signature_follows_the_documented_algorithm(http):
    http.answer = b'{"errcode": 0, "errmsg": "ok"}'
    before = int(time.time() * 1000)
    dingtalk(http, secret_env="DING_SECRET", env={"DING_SECRET": SIGNING}).send(message())
    request = http.requests[0]
    # appended after the token as &timestamp=...&sign=..., sign URL-encoded once
    assert request["raw_query"].startswith(f"access_token={TOKEN}&timestamp=")
    timestamp = request["query"]["timestamp"][0]
    assert before - 1000 <= int(timestamp) <= int(time.time() * 1000) + 1000
    mac = hmac.new(SIGNING.encode(), f"{timestamp}\n{SIGNING}".encode(), hashlib.sha256).digest()
    assert request["query"]["sign"] == [base64.b64encode(mac).decode()]
    assert request["raw_query"].endswith("&sign=" + urllib.parse.quote_plus(base64.b64encode(mac).decode()))


def test_dingtalk_errcode_is_a_clean_notify_error(http):
    http.answer = json.dumps({"errcode": 310000, "errmsg": "sign not match"}).encode()
    channel = dingtalk(http, secret=SIGNING, timeout=0.5)
    with pytest.raises(NotifyError, match="errcode 310000: sign not match") as caught:
        channel.send(message())
    assert_clean(str(caught.value))
    http.answer = b"not json"
    with pytest.raises(NotifyError, match="errcode None"):
        channel.send(message())
    http.status, http.answer = 500, b"oops"
    with pytest.raises(NotifyError, match="HTTP 500") as caught:
        channel.send(message())
    assert_clean(str(caught.value))
    assert_hang_fails_fast(http, channel)


def test_dingtalk_config_errors_name_the_field_and_hide_secrets(tmp_path):
    with pytest.raises(ConfigError, match=r"channels\.ding\.url_env: environment variable DING_URL"):
        DingTalk("ding", {"type": "dingtalk", "url_env": "DING_URL"}, env={})
    with pytest.raises(ConfigError, match=r"channels\.ding\.secret_env: environment variable DING_SECRET"):
        DingTalk("ding", {"type": "dingtalk", "url": "https://oapi.example/robot/send", "secret_env": "DING_SECRET"}, env={})
    with pytest.raises(ConfigError, match=r"channels\.ding: url is required"):
        DingTalk("ding", {"type": "dingtalk"})
    with pytest.raises(ConfigError, match=r"channels\.ding: unknown field\(s\) token"):
        DingTalk("ding", {"type": "dingtalk", "url": "https://oapi.example/", "token": TOKEN})
    with pytest.raises(ConfigError, match=r"channels\.ding\.at_all"):
        DingTalk("ding", {"type": "dingtalk", "url": "https://oapi.example/", "at_all": "yes"})
    with pytest.raises(ConfigError, match=r"channels\.ding\.at_mobiles"):
        DingTalk("ding", {"type": "dingtalk", "url": "https://oapi.example/", "at_mobiles": "138"})
    with pytest.raises(ConfigError) as caught:
        DingTalk("ding", {"type": "dingtalk", "url": f"ftp://oapi.example/robot/send?access_token={TOKEN}"})
    assert_clean(repr(caught.value))
    with pytest.raises(ConfigError, match=r"channels\.ding\.url_env: the URL holds a space") as caught:
        DingTalk("ding", {"type": "dingtalk", "url_env": "U"}, env={"U": f"https://oapi.example/robot/send?access_token={TOKEN} x"})
    assert_clean(repr(caught.value))
    url_file = tmp_path / "url"
    url_file.write_text(f"https://oapi.example/robot/send?access_token={TOKEN}\n")
    assert DingTalk("ding", {"type": "dingtalk", "url_file": str(url_file)}).url.endswith(TOKEN)


# --- WeCom --------------------------------------------------------------------------------------

def wecom(http, **spec):
    return WeCom("wx", {"type": "wecom", "url": f"{http.base}/cgi-bin/webhook/send?key={TOKEN}", **spec})


def test_wecom_markdown_payload(http):
    http.answer = b'{"errcode": 0, "errmsg": "ok"}'
    wecom(http).send(message(FIRING))
    assert len(http.requests) == 1 and http.requests[0]["query"] == {"key": [TOKEN]}
    payload = json_body(http)
    assert set(payload) == {"msgtype", "markdown"} and payload["msgtype"] == "markdown"
    assert payload["markdown"] == {"content": "**[P0 FIRING] primary_dead prod-main**\n" + text_body(message(FIRING))}


def test_wecom_mentions_follow_as_a_text_message_except_on_resolution(http):
    http.answer = b'{"errcode": 0, "errmsg": "ok"}'
    channel = wecom(http, mentioned_mobile_list=["13800000000", "@all"])
    channel.send(message(FIRING, kind="repeat"))
    assert [json_body(http, i)["msgtype"] for i in range(2)] == ["markdown", "text"]
    assert json_body(http, 1)["text"] == {"content": "[P0 FIRING] primary_dead prod-main (repeat)",
                                          "mentioned_mobile_list": ["13800000000", "@all"]}
    channel.send(message(RESOLVED, kind="resolved"))
    assert len(http.requests) == 3 and json_body(http)["msgtype"] == "markdown"


def test_wecom_truncates_to_4096_bytes_on_a_character_boundary(http):
    http.answer = b'{"errcode": 0, "errmsg": "ok"}'
    long = {**FIRING, "summary": "x" + "主库不可达" * 2000}   # 1 + 3-byte characters: cuts fall inside one
    wecom(http).send(message(long))
    content = json_body(http)["markdown"]["content"]
    data = content.encode("utf-8")
    assert MAX_CONTENT_BYTES - 3 < len(data) <= MAX_CONTENT_BYTES
    assert content.endswith("\n… (truncated)")
    kept = content[:-len("\n… (truncated)")]
    assert ("**[P0 FIRING] primary_dead prod-main**\n" + text_body(message(long), limit=MAX_CONTENT_BYTES)).startswith(kept)
    for room in range(4090, 4097):
        cut = truncate_utf8("é" * 3000, room, "…")
        assert len(cut.encode()) <= room and cut.endswith("…") and set(cut[:-1]) == {"é"}
    assert truncate_utf8("短", 4096) == "短"


def test_wecom_errors_are_clean(http):
    http.answer = b'{"errcode": 93000, "errmsg": "invalid webhook url"}'
    channel = wecom(http, timeout=0.5)
    with pytest.raises(NotifyError, match="WeCom errcode 93000: invalid webhook url") as caught:
        channel.send(message())
    assert_clean(str(caught.value))
    http.status = 500
    with pytest.raises(NotifyError, match="HTTP 500") as caught:
        channel.send(message())
    assert_clean(str(caught.value))
    assert_hang_fails_fast(http, channel)


def test_wecom_config_errors():
    with pytest.raises(ConfigError, match=r"channels\.wx\.url_env: environment variable WX_URL"):
        WeCom("wx", {"type": "wecom", "url_env": "WX_URL"}, env={})
    with pytest.raises(ConfigError, match=r"channels\.wx: unknown field\(s\) mentioned_list"):
        WeCom("wx", {"type": "wecom", "url": "https://qyapi.example/", "mentioned_list": ["a"]})
    with pytest.raises(ConfigError, match=r"channels\.wx\.mentioned_mobile_list"):
        WeCom("wx", {"type": "wecom", "url": "https://qyapi.example/", "mentioned_mobile_list": [138]})


# --- Slack --------------------------------------------------------------------------------------

def test_slack_text_and_blocks_with_escaping(http):
    http.answer = b"ok"
    odd = {**FIRING, "summary": "a <!here> & b"}
    Slack("sl", {"type": "slack", "url": f"{http.base}/services/T0/B0/{TOKEN}"}).send(message(odd))
    payload = json_body(http)
    assert set(payload) == {"text"}
    assert payload["text"].startswith("*[P0 FIRING] primary_dead prod-main*\n")
    assert "a &lt;!here&gt; &amp; b" in payload["text"] and "<!here>" not in payload["text"]
    Slack("sl", {"type": "slack", "url": f"{http.base}/services/T0/B0/{TOKEN}", "blocks": True}).send(message(odd))
    blocks = json_body(http)["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "[P0 FIRING] primary_dead prod-main"}}
    assert blocks[1]["type"] == "section" and blocks[1]["text"]["type"] == "mrkdwn"
    assert blocks[1]["text"]["text"].startswith("```") and "&lt;!here&gt;" in blocks[1]["text"]["text"]


def test_slack_anything_but_ok_fails_cleanly(http):
    channel = Slack("sl", {"type": "slack", "url": f"{http.base}/services/T0/B0/{TOKEN}", "timeout": 0.5})
    http.answer = b"no_text"
    with pytest.raises(NotifyError, match="Slack answered 'no_text'") as caught:
        channel.send(message())
    assert_clean(str(caught.value))
    http.status, http.answer = 404, b"no_service"
    with pytest.raises(NotifyError, match="HTTP 404.*no_service") as caught:
        channel.send(message())
    assert_clean(str(caught.value))
    assert_hang_fails_fast(http, channel)
    with pytest.raises(ConfigError, match=r"channels\.sl\.url_file: cannot read"):
        Slack("sl", {"type": "slack", "url_file": "/nonexistent/slack-url"})
    with pytest.raises(ConfigError, match=r"channels\.sl\.blocks"):
        Slack("sl", {"type": "slack", "url": "https://hooks.example/x", "blocks": "yes"})


# --- Email --------------------------------------------------------------------------------------

class SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpServer

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        srv = self.server
        if srv.hang:
            srv.release.wait(10)
            return
        self.reply("220 test ESMTP")
        mail: dict = {"rcpt": []}
        while True:
            line = self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME" if verb == "EHLO" else "250 test")
            elif verb == "AUTH":
                srv.auths.append(line)
                self.reply("535 5.7.8 authentication failed" if srv.reject_auth else "235 ok")
            elif verb == "MAIL":
                mail = {"from": line[len("MAIL FROM:"):].split()[0], "rcpt": []}
                self.reply("250 ok")
            elif verb == "RCPT":
                address = line[len("RCPT TO:"):].split()[0]
                if address.strip("<>") in srv.refuse:
                    self.reply("550 5.1.1 no such user")
                else:
                    mail["rcpt"].append(address)
                    self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                srv.mails.append({**mail, "data": b"".join(data)})
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.mails: list[dict] = []
        self.auths: list[str] = []
        self.refuse: set[str] = set()
        self.reject_auth = self.hang = False
        self.release = threading.Event()


@pytest.fixture
def smtp():
    server = SmtpServer()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def email_channel(smtp, env=None, **spec):
    return Email("mail", {"type": "email", "host": "127.0.0.1", "port": smtp.server_address[1], "tls": "none",
                          "from": "mysqlha <mysqlha@example.com>", "to": ["dba@example.com", "oncall@example.com"],
                          "timeout": 0.5, **spec}, env)


def test_email_delivers_subject_body_and_stable_message_id(smtp):
    channel = email_channel(smtp, username="mysqlha", password_env="SMTP_PW", env={"SMTP_PW": PASSWORD})
    channel.send(message(FIRING, LAGGING, mid="msg-7"))
    channel.send(message(FIRING, LAGGING, mid="msg-7"))   # a retry
    assert len(smtp.mails) == 2
    first = smtp.mails[0]
    assert first["from"] == "<mysqlha@example.com>"
    assert first["rcpt"] == ["<dba@example.com>", "<oncall@example.com>"]
    parsed = email.message_from_bytes(first["data"], policy=email.policy.default)
    assert parsed["Subject"] == "[P0 FIRING] primary_dead prod-main (+1 more)"
    assert parsed["To"] == "dba@example.com, oncall@example.com"
    assert parsed["From"] == "mysqlha <mysqlha@example.com>"
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content().replace("\r\n", "\n").strip() == text_body(message(FIRING, LAGGING), limit=100_000)
    again = email.message_from_bytes(smtp.mails[1]["data"], policy=email.policy.default)
    assert parsed["Message-ID"] == again["Message-ID"] and "msg-7" in parsed["Message-ID"]
    assert parsed["Message-ID"].endswith("@example.com>")
    other = email.message_from_bytes(channel.build(message(mid="msg-8")).as_bytes(), policy=email.policy.default)
    assert other["Message-ID"] != parsed["Message-ID"]
    assert len(smtp.auths) == 2   # logged in each time


def test_email_failures_are_clean(smtp):
    channel = email_channel(smtp, username="mysqlha", password=PASSWORD)
    smtp.reject_auth = True
    with pytest.raises(NotifyError, match="535") as caught:
        channel.send(message())
    assert_clean(str(caught.value))
    assert_clean(str(caught.value), base64.b64encode(f"\0mysqlha\0{PASSWORD}".encode()).decode())
    smtp.reject_auth = False
    smtp.refuse = {"dba@example.com", "oncall@example.com"}
    with pytest.raises(NotifyError, match="every recipient refused"):
        channel.send(message())
    smtp.refuse = {"oncall@example.com"}
    channel.send(message())   # one accepted: delivered, not retried
    assert smtp.mails[-1]["rcpt"] == ["<dba@example.com>"]
    smtp.hang = True
    started = time.monotonic()
    with pytest.raises(NotifyError, match="smtp 127.0.0.1") as caught:
        channel.send(message())
    assert time.monotonic() - started < 3
    assert_clean(str(caught.value))


def test_email_connection_refused_is_a_notify_error():
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as probe:
        port = probe.server_address[1]
    channel = Email("mail", {"type": "email", "host": "127.0.0.1", "port": port, "from": "a@example.com",
                             "to": ["b@example.com"], "timeout": 0.5})
    with pytest.raises(NotifyError, match=f"channel mail \\(smtp 127.0.0.1:{port}\\)"):
        channel.send(message())


def test_email_config():
    base = {"type": "email", "host": "smtp.example", "from": "a@example.com", "to": ["b@example.com"]}
    assert (Email("m", base).port, Email("m", base).tls) == (25, "none")
    assert (Email("m", {**base, "tls": "ssl"}).port, Email("m", {**base, "tls": "ssl"}).tls) == (465, "ssl")
    assert Email("m", {**base, "port": 587}).tls == "starttls"
    assert Email("m", {**base, "port": 465}).tls == "ssl"
    assert Email("m", {**base, "to": "b@example.com"}).envelope_to == ["b@example.com"]
    for spec, field in (({**base, "to": []}, r"m\.to"), ({**base, "to": ["b@example.com", "not an address"]}, r"m\.to\[1\]"),
                        ({**base, "to": ["b@example.com\r\nBcc: x@evil"]}, r"m\.to\[0\]"), ({**base, "from": None}, r"m\.from"),
                        ({**base, "tls": "tls"}, r"m\.tls"), ({**base, "port": "25"}, r"m\.port"), ({**base, "host": ""}, r"m\.host"),
                        ({**base, "username": "u", "password_env": "NOPE"}, r"m\.password_env"),
                        ({**base, "username": "u"}, r"m: password is required"), ({**base, "cc": ["x@example.com"]}, "unknown field")):
        with pytest.raises(ConfigError, match=field):
            Email("m", spec, env={})
    with pytest.raises(ConfigError) as caught:
        Email("m", {**base, "password": PASSWORD})
    assert "a password needs a username" in str(caught.value)
    assert_clean(repr(caught.value))


def test_subject_lines():
    assert subject(message(FIRING)) == "[P0 FIRING] primary_dead prod-main"
    assert subject(message(FIRING, LAGGING, LAGGING, kind="escalation")) == "[P0 FIRING] primary_dead prod-main (+2 more) (escalation)"
    assert subject(message(RESOLVED, kind="resolved")) == "[P0 RESOLVED] primary_dead prod-main"
    assert subject(message({**FIRING, "cluster": "a\r\nBcc: x"})) == "[P0 FIRING] primary_dead a Bcc: x"


# --- Alertmanager -------------------------------------------------------------------------------

def alertmanager(http, env=None, **spec):
    channel = Alertmanager("am", {"type": "alertmanager", "url": f"{http.base}/am/", **spec}, env)
    channel.clock = lambda: 1795000000.0   # 2026-11-18T11:06:40Z
    return channel


def test_alertmanager_firing_alerts(http):
    channel = alertmanager(http, resend="30s", external_url="https://mysqlha.example/alerts")
    assert channel.resend_seconds == 30.0
    overriding = {**FIRING, "channel": "src2", "labels": {"alertname": "evil", "severity": "P3", "team": "dba", "bad-name": "x", "2x": "y"}}
    channel.send(message(overriding, {**LAGGING, "state": "acked", "instance": None, "summary": "", "remediation": None}))
    request = http.requests[0]
    assert request["path"] == "/am/api/v2/alerts"
    assert request["headers"]["Content-Type"] == "application/json"
    assert "Authorization" not in request["headers"]
    ends = "2026-11-18T11:08:40Z"   # now + 4 x 30 s
    assert json.loads(request["body"]) == [
        {"labels": {"alertname": "primary_dead", "severity": "P0", "cluster": "prod-main", "instance": "10.0.1.10:3306",
                    "channel": "src2", "team": "dba", "bad_name": "x", "_2x": "y"},
         "annotations": {"summary": "primary 10.0.1.10:3306 is dead", "remediation": "run mysqlha failover prod-main"},
         "startsAt": "2026-11-18T10:00:00Z", "endsAt": ends, "generatorURL": "https://mysqlha.example/alerts"},
        {"labels": {"alertname": "replica_lag", "severity": "P2", "cluster": "prod-main"},
         "annotations": {}, "startsAt": "2026-11-18T10:00:00Z", "endsAt": ends, "generatorURL": "https://mysqlha.example/alerts"},
    ]


def test_alertmanager_resolved_alert_ends_at_resolution(http):
    channel = alertmanager(http)
    assert channel.resend_seconds == Alertmanager.resend_seconds == 60.0
    channel.send(message(RESOLVED, {**RESOLVED, "resolved_at": None, "rule": "other"}, kind="resolved"))
    sent = json_body(http)
    assert sent[0]["endsAt"] == "2026-11-18T10:07:00Z" and sent[0]["startsAt"] == "2026-11-18T10:00:00Z"
    assert sent[0]["annotations"] == {"summary": "primary 10.0.1.10:3306 is dead", "remediation": "run mysqlha failover prod-main"}
    assert sent[1]["endsAt"] == "2026-11-18T11:06:40Z"   # no resolved_at: now
    assert "generatorURL" not in sent[0]
    real = Alertmanager("am", {"type": "alertmanager", "url": "http://am:9093"})
    firing = real.payload(message(FIRING))[0]
    assert firing["endsAt"] > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 200))


def test_alertmanager_auth_and_failures(http):
    channel = alertmanager(http, basic_auth={"username": "mysqlha", "password_env": "AM_PW"}, env={"AM_PW": PASSWORD}, timeout=0.5)
    channel.send(message())
    expected = base64.b64encode(f"mysqlha:{PASSWORD}".encode()).decode()
    assert http.requests[0]["headers"]["Authorization"] == f"Basic {expected}"
    alertmanager(http, bearer_token=TOKEN).send(message())
    assert http.requests[1]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    http.status, http.answer = 400, b'{"code": 400, "message": "start time must be before end time"}'
    with pytest.raises(NotifyError, match="HTTP 400.*start time") as caught:
        channel.send(message())
    assert_clean(str(caught.value), PASSWORD, expected)
    assert_hang_fails_fast(http, channel)
    count = len(http.requests)
    channel.send(Message(id="empty", kind="repeat", alerts=()))
    assert len(http.requests) == count   # nothing to say


def test_alertmanager_config_errors():
    base = {"type": "alertmanager", "url": "http://am:9093"}
    for spec, field in (({**base, "resend": "1x"}, r"channels\.am\.resend: bad duration"),
                        ({**base, "resend": "500ms"}, r"channels\.am\.resend: from 1s"),
                        ({**base, "basic_auth": {"username": "u"}}, r"channels\.am\.basic_auth: password is required"),
                        ({**base, "basic_auth": {"username": "u", "password": "p", "pass": "x"}}, r"channels\.am\.basic_auth: unknown"),
                        ({**base, "basic_auth": {"username": "u", "password": PASSWORD}, "bearer_token": TOKEN}, "not both"),
                        ({**base, "bearer_token_env": "AM_TOKEN"}, r"channels\.am\.bearer_token_env"),
                        ({**base, "bearer_token": TOKEN + "\n"}, r"channels\.am: the bearer token holds"),
                        ({**base, "external_url": "mysqlha"}, r"channels\.am\.external_url"),
                        ({"type": "alertmanager"}, r"channels\.am: url is required")):
        with pytest.raises(ConfigError, match=field) as caught:
            Alertmanager("am", spec, env={})
        assert_clean(repr(caught.value))
    assert Alertmanager("am", {**base, "resend": "2m"}).resend_seconds == 120.0


def test_build_channels_maps_every_type(tmp_path):
    specs = {"hook": {"type": "webhook", "url": "https://h.example/"},
             "ding": {"type": "dingtalk", "url": "https://d.example/robot/send?access_token=x"},
             "wx": {"type": "wecom", "url": "https://w.example/?key=x"},
             "sl": {"type": "slack", "url": "https://s.example/services/x"},
             "mail": {"type": "email", "host": "smtp.example", "from": "a@example.com", "to": ["b@example.com"]},
             "am": {"type": "alertmanager", "url": "http://am:9093"}}
    built = build_channels(specs)
    assert {name: type(channel) for name, channel in built.items()} == {
        "hook": Webhook, "ding": DingTalk, "wx": WeCom, "sl": Slack, "mail": Email, "am": Alertmanager}
    assert all(built[name].type == specs[name]["type"] for name in specs)
    with pytest.raises(ConfigError, match=r"channels\.ding\.url_env.*channels\.mail\.to"):
        build_channels({"ding": {"type": "dingtalk", "url_env": "NOPE"}, "mail": {**specs["mail"], "to": []}}, env={})
    assert build_channel("x", specs["am"]).describe() == "alertmanager channel x"


# --- hostile receivers (a review's findings) -------------------------------------------------------

def test_a_redirect_is_a_failure_never_followed_so_nothing_reaches_the_other_host(http):
    """Following a 302 would turn the POST into a bodiless GET (the alert lost, counted as sent)
    and carry the signature and custom headers to whatever host the answer names."""
    elsewhere = Recorder()
    threading.Thread(target=elsewhere.serve_forever, args=(0.05,), daemon=True).start()
    try:
        http.status, http.answer = 302, b""
        hook = Webhook("ops", {"type": "webhook", "url": f"{http.base}/hook", "secret": SIGNING,
                               "headers": {"X-Api-Key": TOKEN}})

        def location(handler):
            handler.send_header("Location", f"{elsewhere.base}/evil")
        Handler.extra_headers = location
        with pytest.raises(NotifyError, match="HTTP 302.*follows none"):
            hook.send(message())
        assert elsewhere.requests == []
    finally:
        Handler.extra_headers = None
        elsewhere.shutdown()
        elsewhere.server_close()


def test_an_error_answer_that_echoes_the_url_token_or_secret_is_scrubbed(http):
    http.status = 404
    http.answer = f"Not Found: /robot/send?access_token={TOKEN} (signed with {SIGNING})".encode()
    hook = Webhook("ops", {"type": "webhook", "url": f"{http.base}/robot/send?access_token={TOKEN}", "secret": SIGNING})
    with pytest.raises(NotifyError) as caught:
        hook.send(message())
    assert "HTTP 404" in str(caught.value)
    assert_clean(str(caught.value))


def test_an_answer_dripping_a_byte_at_a_time_fails_within_the_channel_deadline():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        done = threading.Event()

        def drip():
            conn, _addr = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not done.is_set():
                    try:
                        conn.sendall(b"x")
                    except OSError:
                        return
                    time.sleep(0.05)

        threading.Thread(target=drip, daemon=True).start()
        hook = Webhook("ops", {"type": "webhook", "url": "http://127.0.0.1:%d/" % listener.getsockname()[1], "timeout": 0.5})
        started = time.monotonic()
        try:
            with pytest.raises(NotifyError, match="TimeoutError"):
                hook.send(message())
        finally:
            done.set()
        assert time.monotonic() - started < 3


def test_a_secret_file_that_is_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"channels\.ops\.secret_file: .* is not a regular file"):
        Webhook("ops", {"type": "webhook", "url": "http://127.0.0.1:9/", "secret_file": str(fifo)})
