"""Shared helpers of the delivery tests (test_deliver_*.py): channel
sections, a credentials directory as systemd's LoadCredential= makes it, the
outbox rows as the database holds them, and the per-channel counts of
`contactwatchctl status --json`."""
import hashlib
import hmac
import os
import sqlite3

import cw

SECRET = "webhook-s3cret"


def channel(name, **keys):
    """A [channel:NAME] section; keys in the order given."""
    return f"[channel:{name}]\n" + "".join(f"{k}={v}\n" for k, v in keys.items()) + "\n"


def credentials(t, **files):
    """Writes each credential (name=content, '_' in names becomes '-') into
    a private directory and returns the environment that names it."""
    d = os.path.join(t.tmp, "credentials")
    os.makedirs(d, mode=0o700, exist_ok=True)
    for name, content in files.items():
        path = os.path.join(d, name.replace("_", "-"))
        with open(path, "w") as f:
            f.write(content)
        os.chmod(path, 0o400)
    return {"CREDENTIALS_DIRECTORY": d}


def export(t, eid="E1042", name="Connections.csv"):
    """The integration export: 3 alerts for E1042 (R002 and R001 in window,
    R001 pre-existing)."""
    return t.inbox(eid, name, open(t.data("Connections.csv")).read())


def rows(t):
    """Every outbox row, oldest first, as the daemon left it."""
    path = os.path.join(t.state, "contactwatch.db")
    if not os.path.exists(path):
        return []  # the daemon has not started yet
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM deliveries ORDER BY id")]
    finally:
        db.close()


def status(t, name):
    """One channel's counts in `contactwatchctl --json status`."""
    r = t.ctl("--json", "status")
    assert r.rc == 0, r.err
    return r.json()["deliveries"][name]


def alerts(t):
    r = t.ctl("--json", "alerts")
    assert r.rc == 0, r.err
    return r.json()


def signature(body, secret=SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def by_key(requests):
    out = {}
    for r in requests:
        out.setdefault(r.headers.get("Idempotency-Key"), []).append(r)
    return out


def wait_rows(t, pred, timeout=30, what="outbox rows"):
    cw.wait_until(lambda: pred(rows(t)), timeout, what)
