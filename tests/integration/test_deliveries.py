"""The outbox: delivery rows in the database (one per alert and admitting
channel, added with the alert), local channels delivered exactly once
across runs, failures recorded and retried, given up after GiveUpAfter=,
and `contactwatchctl status` / `redeliver` on top of it. A file channel
fails for real by pointing Path= below a regular file (ENOTDIR, which
root cannot write through either)."""
import os
import sqlite3

import cw

CHANNELS = ("[channel:journal]\nType=journal\n\n"
            "[channel:archive]\nType=file\nPath=alerts.jsonl\nMinSeverity=medium\n\n"
            # No receiver listens on the discard port: whatever engine
            # delivers webhooks, this one stays queued.
            "[channel:hook]\nType=webhook\nURL=http://127.0.0.1:9/hook\nMinSeverity=high\nTimeout=2s\n")

BROKEN = "[channel:archive]\nType=file\nPath=notadir/alerts.jsonl\n"


def db_rows(t, sql, *args):
    db = sqlite3.connect(os.path.join(t.state, "contactwatch.db"))
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def db_exec(t, sql, *args):
    db = sqlite3.connect(os.path.join(t.state, "contactwatch.db"))
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


def deliveries(t):
    rows = db_rows(t, "SELECT d.channel, d.idem_key, d.state, d.attempts, a.key, a.severity, d.last_error"
                      " FROM deliveries d JOIN alerts a ON a.id = d.alert_id ORDER BY d.id")
    return [dict(zip(("channel", "idem_key", "state", "attempts", "key", "severity", "last_error"), r))
            for r in rows]


def broken_tree(t):
    t.setup(channels=BROKEN)
    t.write("notadir", "a regular file where a directory should be\n")
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())


def fix_broken(t):
    os.unlink(os.path.join(t.tmp, "notadir"))
    os.mkdir(os.path.join(t.tmp, "notadir"))


def broken_archive_lines(t):
    path = os.path.join(t.tmp, "notadir", "alerts.jsonl")
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return [l for l in f if l.strip()]


def test_once_queues_one_delivery_per_admitting_channel(t):
    t.setup(channels=CHANNELS)
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    r = t.daemon("--once")
    assert r.rc == 0, r.err  # the webhook receiver is down: still 0
    rows = deliveries(t)
    alerts = t.ctl("--json", "alerts").json()
    assert len(alerts) == 3  # two high, one low (pre_existing)
    by_channel = {}
    for d in rows:
        by_channel.setdefault(d["channel"], []).append(d)
        # Stable: the alert key and the channel, the same on every retry.
        assert d["idem_key"] == d["key"] + "-" + d["channel"], d
    # MinSeverity= decides which channels get a row at all.
    assert len(by_channel["journal"]) == 3
    assert sorted(d["severity"] for d in by_channel["archive"]) == ["high", "high"]
    assert sorted(d["severity"] for d in by_channel["hook"]) == ["high", "high"]
    assert all(d["state"] == "delivered" for d in by_channel["journal"] + by_channel["archive"])
    assert all(d["state"] == "queued" for d in by_channel["hook"])
    assert len(t.archive_lines()) == 2

    st = t.ctl("--json", "status").json()["deliveries"]
    assert list(st) == ["journal", "archive", "hook"]  # as configured
    assert st["archive"]["type"] == "file"
    assert (st["archive"]["delivered"], st["archive"]["queued"], st["archive"]["failed"]) == (2, 0, 0)
    assert st["archive"]["oldest_queued"] is None and st["archive"]["last_error"] is None
    assert st["journal"]["delivered"] == 3
    hook = st["hook"]
    assert hook["type"] == "webhook" and hook["delivered"] == 0 and hook["failed"] == 0
    assert hook["queued"] + hook["retrying"] == 2
    assert hook["oldest_queued"].endswith("Z") and hook["oldest_queued_age"] >= 0
    text = t.ctl("status").out
    assert "Deliveries:" in text and "RETRYING" in text
    assert any(l.split()[:2] == ["archive", "file"] for l in text.splitlines()), text


def test_file_channel_delivers_exactly_once_across_runs(t):
    t.setup()
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    assert t.daemon("--once").rc == 0
    first = t.archive_lines()
    assert len(first) == 3
    # The archive carries the alert as users see it, with its history.
    assert all(a["history"][0]["action"] == "created" for a in first)
    assert all(a["employee"]["name"] == "Jan de Vries" for a in first)
    # A restart delivers nothing again: the rows say delivered.
    assert t.daemon("--once").rc == 0
    assert t.archive_lines() == first
    assert {d["state"] for d in deliveries(t)} == {"delivered"}
    # A new alert later: only it is delivered.
    t.inbox("E1042", "later.csv", open(t.data("Connections.csv")).read() +
            "Eva,Kok,https://www.linkedin.com/in/evakok,,Jansen Bouw,Werkvoorbereider,01 Nov 2026\n")
    assert t.daemon("--once").rc == 0
    lines = t.archive_lines()
    assert lines[:3] == first and len(lines) == 4
    assert lines[3]["contact"]["name"] == "Eva Kok"
    assert len({a["key"] for a in lines}) == 4


def test_pseudonymize_replaces_the_employee_name_in_the_file(t):
    t.setup(channels="[channel:archive]\nType=file\nPath=alerts.jsonl\nPseudonymize=yes\n")
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    assert t.daemon("--once").rc == 0
    lines = t.archive_lines()
    assert len(lines) == 3
    assert all(a["employee"] == {"id": "E1042", "name": "E1042"} for a in lines)
    assert "Jan de Vries" not in open(t.archive).read()
    # The database keeps the real alert.
    assert t.ctl("--json", "alerts").json()[0]["employee"]["name"] == "Jan de Vries"


def test_failed_delivery_stays_queued_is_retried_and_shown(t):
    broken_tree(t)
    r = t.daemon("--once")
    assert r.rc == 0, r.err  # a channel's failure is no failure of the run
    assert "Not a directory" in r.err, r.err
    st = t.ctl("--json", "status").json()["deliveries"]["archive"]
    assert (st["queued"], st["retrying"], st["failed"], st["delivered"]) == (0, 3, 0, 0)
    assert "notadir/alerts.jsonl: Not a directory" in st["last_error"]
    assert st["oldest_queued_age"] >= 0
    assert "last error: cannot append to" in t.ctl("status").out
    # --once ignores the backoff: every queued delivery is attempted again.
    assert t.daemon("--once").rc == 0
    assert [d["attempts"] for d in deliveries(t)] == [2, 2, 2]
    # Fixed: the next run delivers each alert once, and the error is gone.
    fix_broken(t)
    assert t.daemon("--once").rc == 0
    assert len(broken_archive_lines(t)) == 3
    st = t.ctl("--json", "status").json()["deliveries"]["archive"]
    assert (st["queued"], st["retrying"], st["failed"], st["delivered"]) == (0, 0, 0, 3)
    assert st["last_error"] is None
    assert t.daemon("--once").rc == 0
    assert len(broken_archive_lines(t)) == 3


def test_give_up_after_age_then_redeliver_failed(t):
    broken_tree(t)
    assert t.daemon("--once").rc == 0
    # Four days pass (GiveUpAfter= is 3d by default).
    db_exec(t, "UPDATE deliveries SET created_at = created_at - 4 * 86400")
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    assert "gave up delivering alert" in r.err, r.err
    st = t.ctl("--json", "status").json()["deliveries"]["archive"]
    assert (st["queued"], st["retrying"], st["failed"]) == (0, 0, 3)
    assert st["last_error"].startswith("gave up after 2 attempts: cannot append to"), st
    # Failed for good: later runs leave them alone.
    fix_broken(t)
    assert t.daemon("--once").rc == 0
    assert broken_archive_lines(t) == []

    r = t.ctl("redeliver", "--failed")
    assert r.rc == 0, r.err
    assert "Requeued 3 failed deliveries" in r.out and "next scan pass" in r.out, r.out
    assert {d["state"] for d in deliveries(t)} == {"queued"}
    assert t.ctl("--json", "redeliver", "--failed").json() == {"requeued": 0, "added": 0}
    assert t.daemon("--once").rc == 0
    assert len(broken_archive_lines(t)) == 3
    assert {d["state"] for d in deliveries(t)} == {"delivered"}


def test_redeliver_alert(t):
    t.setup()
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    assert t.daemon("--once").rc == 0
    alerts = t.ctl("--json", "alerts").json()
    one = alerts[0]["id"]
    r = t.ctl("redeliver", str(one))
    assert r.rc == 0, r.err
    assert f"Requeued 2 deliveries of alert {one}." in r.out, r.out  # journal and archive
    assert "systemctl reload contactwatch" in r.out
    assert t.daemon("--once").rc == 0
    lines = t.archive_lines()
    assert len(lines) == 4
    # The same alert again, with the same key: a receiver can drop it.
    assert lines[3]["id"] == one and lines[3]["key"] == lines[0]["key"]

    # An alert raised before the outbox existed has no rows: redeliver
    # queues it for every channel that admits it.
    two = alerts[1]["id"]
    db_exec(t, "DELETE FROM deliveries WHERE alert_id = ?", two)
    r = t.ctl("--json", "redeliver", str(two))
    assert r.rc == 0 and r.json() == {"requeued": 0, "added": 2}, (r.out, r.err)
    assert t.daemon("--once").rc == 0
    assert [a["id"] for a in t.archive_lines()].count(two) == 2

    r = t.ctl("redeliver", "999")
    assert r.rc == 2 and "no alert 999" in r.err, r.err
    for bad in (["redeliver"], ["redeliver", "abc"], ["redeliver", "0"], ["redeliver", str(one), "--failed"],
                ["redeliver", "1", "2"], ["status", "--failed"]):
        r = t.ctl(*bad)
        assert r.rc == 2, (bad, r.rc, r.err)


def test_redeliver_without_database_and_on_a_broken_one(t):
    t.setup()
    r = t.ctl("redeliver", "--failed")
    assert r.rc == 0 and "No failed deliveries" in r.out, (r.out, r.err)
    assert t.ctl("--json", "redeliver", "--failed").json() == {"requeued": 0, "added": 0}
    assert t.ctl("redeliver", "1").rc == 2
    assert not os.path.exists(os.path.join(t.state, "contactwatch.db"))  # not created by ctl
    os.makedirs(t.state, exist_ok=True)
    open(os.path.join(t.state, "contactwatch.db"), "wb").write(b"this is not sqlite" * 100)
    assert t.ctl("redeliver", "--failed").rc == 4
    assert t.ctl("redeliver", "1").rc == 4


def test_schema_3_database_migrates_without_resending_old_alerts(t):
    t.setup()
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    assert t.daemon("--once").rc == 0
    assert len(t.archive_lines()) == 3
    # Back to what a schema-3 daemon left: alerts, no outbox.
    db_exec(t, "DROP TABLE deliveries")
    db_exec(t, "PRAGMA user_version = 3")
    r = t.ctl("status")
    assert r.rc == 4 and "older" in r.err, r.err
    r = t.ctl("redeliver", "--failed")
    assert r.rc == 4 and "older" in r.err, r.err
    assert db_rows(t, "PRAGMA user_version") == [(3,)]  # ctl never migrates
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    assert db_rows(t, "PRAGMA user_version") == [(4,)]
    assert deliveries(t) == []
    assert len(t.archive_lines()) == 3  # the old alerts are not sent again
    assert len(t.ctl("--json", "alerts").json()) == 3
    st = t.ctl("--json", "status").json()["deliveries"]
    assert st["archive"]["delivered"] == 0 and st["archive"]["queued"] == 0
