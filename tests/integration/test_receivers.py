"""The delivery tests' own receivers (receivers.py), checked with Python's
clients before the daemon is pointed at them: a failing delivery test must
mean the daemon is wrong, not the test server."""
import http.client
import os
import smtplib
import ssl
import time

import cw
from receivers import Answer, HttpReceiver, SmtpReceiver, TestCA


def post(rx, body=b"{}", key="k1", timeout=5, context=None):
    if rx.ca:
        c = http.client.HTTPSConnection("127.0.0.1", rx.port, timeout=timeout,
                                        context=context or rx.ca.client_context())
    else:
        c = http.client.HTTPConnection("127.0.0.1", rx.port, timeout=timeout)
    try:
        c.request("POST", rx.path, body=body, headers={"Idempotency-Key": key, "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def test_http_records_and_answers_as_scripted(t):
    rx = t.serve(HttpReceiver())
    rx.script = [Answer(500), Answer(429, {"Retry-After": "2"})]
    rx.fail_per_key = (1, Answer(503))
    assert post(rx)[0] == 500
    status, headers, _ = post(rx)
    assert status == 429 and headers["Retry-After"] == "2"
    assert post(rx, key="k2")[0] == 503   # first of k2
    assert post(rx, key="k2")[0] == 200
    got = rx.received()
    assert [r.status for r in got] == [500, 429, 503, 200]
    assert got[0].headers["content-type"] == "application/json" and got[0].body == b"{}"
    assert got[0].t <= got[-1].t


def test_http_down_then_up_on_the_same_port(t):
    rx = t.serve(HttpReceiver())
    port = rx.port
    rx.down()
    try:
        post(rx, timeout=2)
        raise AssertionError("a receiver that is down answered")
    except ConnectionRefusedError:
        pass
    rx.up()
    assert rx.port == port and post(rx)[0] == 200


def test_http_hang_is_released_by_stop(t):
    rx = t.serve(HttpReceiver())
    rx.answer = Answer(delay=60)
    start = time.monotonic()
    try:
        post(rx, timeout=0.5)
        raise AssertionError("a hanging receiver answered")
    except (TimeoutError, OSError):
        pass
    assert time.monotonic() - start < 2
    rx.stop()
    assert len(rx.received()) == 1 and rx.received()[0].status is None


def test_https_with_test_ca_and_refused_without(t):
    ca = TestCA(os.path.join(t.tmp, "ca"))
    rx = t.serve(HttpReceiver(ca=ca))
    assert rx.url.startswith("https://127.0.0.1:")
    assert post(rx)[0] == 200
    try:
        post(rx, context=ssl.create_default_context())  # the system CAs only
        raise AssertionError("verification passed without the test CA")
    except ssl.SSLError:
        pass
    cw.wait_until(lambda: rx.tls_failures == 1, 5, "the refused handshake")


def test_smtp_stores_messages_and_refuses_first(t):
    rx = t.serve(SmtpReceiver(fail_first=1))
    msg = ("From: a@example.nl\r\nTo: b@example.nl, c@example.nl\r\nSubject: =?UTF-8?Q?Zo=C3=AB?=\r\n"
           "\r\nhello\r\n")
    with smtplib.SMTP("127.0.0.1", rx.port, timeout=5) as s:
        try:
            s.sendmail("a@example.nl", ["b@example.nl", "c@example.nl"], msg)
            raise AssertionError("the first message was accepted")
        except smtplib.SMTPDataError as e:
            assert e.smtp_code == 451
        s.sendmail("a@example.nl", ["b@example.nl", "c@example.nl"], msg)
    assert [m.code for m in rx.messages] == [451, 250]
    m = rx.accepted()[0]
    assert m.mail_from == "a@example.nl" and m.rcpt_tos == ["b@example.nl", "c@example.nl"]
    assert str(m.parsed()["Subject"]) == "Zoë"


def test_smtp_starttls_and_auth(t):
    ca = TestCA(os.path.join(t.tmp, "ca"))
    rx = t.serve(SmtpReceiver(ca=ca, auth={"alerts": "s3cret"}))
    with smtplib.SMTP("127.0.0.1", rx.port, timeout=5) as s:
        s.starttls(context=ca.client_context())
        try:
            s.login("alerts", "wrong")
            raise AssertionError("a wrong password was accepted")
        except smtplib.SMTPAuthenticationError:
            pass
        s.login("alerts", "s3cret")
        s.sendmail("a@example.nl", ["b@example.nl"], "Subject: x\r\n\r\nbody\r\n")
    assert rx.auth_failures >= 1  # smtplib tries PLAIN, then LOGIN
    assert rx.accepted()[0].login == "alerts"
