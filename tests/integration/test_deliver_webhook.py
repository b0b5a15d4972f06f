"""Webhook channels against a real HTTP(S) receiver on loopback: the generic
body, its headers and signature over HTTPS with a private CA; verification
that cannot be switched off; slack and teams bodies; and the retry policy
as a receiver sees it (500s, 429 with Retry-After, 400, GiveUpAfter=)."""
import json
import os
import sqlite3
import time

import cw
from deliveries import SECRET, alerts, by_key, channel, credentials, export, rows, signature, status, wait_rows
from receivers import Answer, HttpReceiver, TestCA


def test_generic_over_https_with_ca_file_and_verification_always_on(t):
    ca = TestCA(os.path.join(t.tmp, "ca"))
    rx = t.serve(HttpReceiver(ca=ca))
    env = credentials(t, webhook_secret=SECRET + "\n")  # the editor's newline is not part of it
    hook = dict(Type="webhook", URL=rx.url, Format="generic", SecretCredential="webhook-secret", Timeout="5s")
    t.setup(channels=channel("hook", **hook))
    export(t)

    # Without CAFile= the test CA is unknown: nothing is sent, all stays queued.
    r = t.daemon("--once", env=env)
    assert r.rc == 0, r.err
    assert rx.received() == [] and rx.tls_failures >= 1
    s = status(t, "hook")
    assert s["delivered"] == 0 and s["queued"] + s["retrying"] == 3, s
    assert "certificate" in (s["last_error"] or "").lower(), s
    assert all(w["state"] == "queued" and w["attempts"] == 1 for w in rows(t))

    # With it: each alert arrives once, as the alert JSON, signed.
    t.setup(channels=channel("hook", CAFile=ca.ca_pem, **hook))
    r = t.daemon("--once", env=env)
    assert r.rc == 0, r.err
    got = rx.received()
    want = {a["key"] + "-hook": a for a in alerts(t)}
    assert sorted(by_key(got)) == sorted(want) and len(got) == 3, got
    for req in got:
        assert req.status == 200 and req.method == "POST" and req.path == "/hook"
        assert req.headers["Content-Type"] == "application/json"
        assert req.headers["User-Agent"].startswith("contactwatch/")
        assert req.headers["X-Contactwatch-Signature"] == signature(req.body)
        body = req.json()
        a = want[req.headers["Idempotency-Key"]]
        assert body["id"] == a["id"] and body["key"] == a["key"]
        assert body["employee"] == {"id": "E1042", "name": "Jan de Vries"}
        assert body["relation"] == a["relation"] and body["contact"] == a["contact"]
    assert status(t, "hook")["delivered"] == 3

    # Delivered is final: another run sends nothing.
    assert t.daemon("--once", env=env).rc == 0
    assert len(rx.received()) == 3


def test_slack_and_teams_bodies_name_the_relation(t):
    rx = t.serve(HttpReceiver())
    t.setup(channels=channel("slack", Type="webhook", URL=rx.url, Format="slack") +
            channel("teams", Type="webhook", URL=rx.url, Format="teams"))
    export(t)
    assert t.daemon("--once").rc == 0
    got = by_key(rx.received())
    assert len(got) == 6, got
    names = {a["key"]: a["relation"]["name"] for a in alerts(t)}
    for key, reqs in got.items():
        assert len(reqs) == 1
        alert_key, fmt = key.rsplit("-", 1)
        body = reqs[0].json()  # valid JSON, or this raises
        text = json.dumps(body, ensure_ascii=False)
        assert names[alert_key] in text, (fmt, text)
        assert "E1042" in text
        if fmt == "slack":
            assert "text" in body or "blocks" in body, body
        else:
            assert fmt == "teams"
            assert body.get("@type") == "MessageCard" or "attachments" in body, body


def test_500s_are_retried_until_delivered_exactly_once(t):
    n_fail = 3
    rx = t.serve(HttpReceiver())
    rx.fail_per_key = (n_fail, Answer(500))
    t.setup(channels=channel("hook", Type="webhook", URL=rx.url, RetryDelay="1s", RetryMaxDelay="2s"))
    export(t)
    start = time.monotonic()
    t.start_daemon()
    rx.wait_for(lambda r: len(r.received(200)) == 3, 40, "every alert delivered")
    done = time.monotonic()
    time.sleep(1.5)  # nothing more may come
    got = by_key(rx.received())
    assert len(got) == 3
    for key, reqs in got.items():
        assert [q.status for q in reqs] == [500] * n_fail + [200], (key, reqs)
        gaps = [b.t - a.t for a, b in zip(reqs, reqs[1:])]
        # RetryDelay=1s doubled, capped at 2s, +-20 % jitter, whole seconds.
        assert all(0.75 <= g <= 3.6 for g in gaps), gaps
    w = rows(t)
    assert all(r["state"] == "delivered" and r["attempts"] == n_fail for r in w), w
    spans = [reqs[-1].t - reqs[0].t for reqs in got.values()]
    print(f"# retry figures: {len(got)} alerts, {len(rx.received())} attempts "
          f"({n_fail} answered 500 per alert, RetryDelay=1s, RetryMaxDelay=2s); first to last attempt "
          f"{min(spans):.1f}-{max(spans):.1f}s per alert; all delivered {done - start:.1f}s after start")


def test_429_retry_after_is_honoured(t):
    rx = t.serve(HttpReceiver())
    rx.script = [Answer(429, {"Retry-After": "2"})]
    t.setup(channels=channel("hook", Type="webhook", URL=rx.url, RetryDelay="1s"),
            employees={"E1042": ("2026-06-30", "12months")})
    t.inbox("E1042", "one.csv", "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
            "Petra,van den Berg,https://www.linkedin.com/in/petravdberg,,Acme Logistics,Inkoper,02 Aug 2026\n")
    t.start_daemon()
    rx.wait_for(lambda r: len(r.received(200)) == 1, 20, "the retried delivery")
    first, second = rx.received()
    assert first.status == 429 and second.status == 200
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    gap = second.t - first.t
    assert gap >= 2.0, gap  # RetryDelay=1s alone would have tried ~1 s later
    assert gap < 4.5, gap
    print(f"# 429 with Retry-After: 2 -> next attempt {gap:.2f}s later")


def test_400_fails_permanently_and_is_not_retried(t):
    rx = t.serve(HttpReceiver())
    rx.answer = Answer(400, body=b"bad request\n")
    t.setup(channels=channel("hook", Type="webhook", URL=rx.url, RetryDelay="1s"))
    export(t)
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    assert len(rx.received()) == 3
    assert "failed permanently" in r.err and "HTTP 400" in r.err, r.err
    s = status(t, "hook")
    assert s["failed"] == 3 and s["delivered"] == 0 and s["queued"] + s["retrying"] == 0, s
    assert "HTTP 400" in s["last_error"], s
    assert all(w["state"] == "failed" and w["attempts"] == 1 for w in rows(t))
    # Neither a later run nor the daemon's timer tries again.
    assert t.daemon("--once").rc == 0
    p = t.start_daemon()
    time.sleep(2.5)
    p.terminate()
    assert p.wait(10) == 0
    assert len(rx.received()) == 3


def test_give_up_after_fails_with_an_error(t):
    rx = t.serve(HttpReceiver())
    rx.answer = Answer(500)
    t.setup(channels=channel("hook", Type="webhook", URL=rx.url, RetryDelay="1s", RetryMaxDelay="1s",
                             GiveUpAfter="1min"))
    export(t)
    assert t.daemon("--once").rc == 0
    assert all(w["state"] == "queued" and w["attempts"] == 1 for w in rows(t))
    # GiveUpAfter= is at least a minute: age the rows instead of waiting.
    db = sqlite3.connect(os.path.join(t.state, "contactwatch.db"))
    db.execute("UPDATE deliveries SET created_at = created_at - 55")
    db.commit()
    db.close()
    t.start_daemon()
    wait_rows(t, lambda w: len(w) == 3 and all(r["state"] == "failed" for r in w), 20, "the rows to fail")
    log = t.daemon_log()
    for a in alerts(t):
        assert f"channel hook: alert {a['id']}: giving up after 1min" in log, log
    s = status(t, "hook")
    assert s["failed"] == 3 and "gave up" in s["last_error"], s
    n = len(rx.received())
    assert n > 3  # retried meanwhile
    time.sleep(1.5)
    assert len(rx.received()) == n  # failed rows are not tried again
