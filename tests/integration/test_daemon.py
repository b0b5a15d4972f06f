"""contactwatchd: --check-config, --once, dedup, rejected files, purpose
limitation, and the sd-event loop under a real NOTIFY_SOCKET."""
import json
import os
import shutil
import signal
import sqlite3
import time

import cw


def test_check_config_ok_prints_one_line_summary(t):
    t.setup(employees={"E1042": ("2026-06-30", "12months"), "E2001": ("2024-01-31", "6months")})
    r = t.daemon("--check-config")
    assert r.rc == 0, r.err
    lines = r.out.strip().splitlines()
    assert len(lines) == 1
    assert "2 employee(s), 1 in a live clause window" in lines[0]
    assert "2 channel(s)" in lines[0]


def test_check_config_malformed_line_exits_3_naming_file_and_line(t):
    t.setup()
    staff = os.path.join(t.tmp, "staff.d", "E1042.conf")
    text = open(staff).read().replace("DepartureDate=2026-06-30", "DepartureDate=30-06-2026")
    open(staff, "w").write(text)
    line = text.splitlines().index("DepartureDate=30-06-2026") + 1
    r = t.daemon("--check-config")
    assert r.rc == 3
    assert f"{staff}:{line}:" in r.err, r.err


def test_check_config_reports_every_error(t):
    t.setup()
    with open(t.conf, "a") as f:
        f.write("[daemon]\nScanInterval=soon\nNoSuchKey=1\n")
    r = t.daemon("--check-config")
    assert r.rc == 3
    assert "ScanInterval" in r.err and "NoSuchKey" in r.err, r.err


def test_once_raises_alerts_and_archives_them(t):
    t.setup()
    shutil.copy(t.data("Connections.csv"), os.path.join(t.state, "inbox", "E1042", "Connections.csv")) \
        if os.path.isdir(os.path.join(t.state, "inbox", "E1042")) else \
        t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    alerts = t.ctl("--json", "alerts").json()
    assert {(a["relation"]["id"], a["classification"]) for a in alerts} == {
        ("R002", "in_window"), ("R001", "in_window"), ("R001", "pre_existing")}
    a = next(a for a in alerts if a["relation"]["id"] == "R002")
    for k in ("id", "key", "employee", "window", "clause", "source", "state", "created_at", "history",
              "file", "record", "line", "contact", "relation", "score", "evidence", "classification", "severity"):
        assert k in a, k
    assert a["state"] == "new"
    assert a["employee"] == {"id": "E1042", "name": "Jan de Vries"}
    assert a["clause"] == {"reference": "Employment contract art. 12", "penalty": "10000 EUR"}
    assert len(a["source"]["sha256"]) == 64
    assert a["history"][0]["action"] == "created"
    archived = t.archive_lines()
    assert sorted(x["id"] for x in archived) == sorted(x["id"] for x in alerts)
    assert all(x["key"] for x in archived)


def test_once_twice_on_same_inbox_raises_no_duplicates(t):
    t.setup()
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    assert t.daemon("--once").rc == 0
    first = t.ctl("--json", "alerts").json()
    assert t.daemon("--once").rc == 0
    assert t.ctl("--json", "alerts").json() == first
    assert len(t.archive_lines()) == len(first)


def test_reexport_with_same_connection_raises_no_second_alert(t):
    t.setup()
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    assert t.daemon("--once").rc == 0
    n = len(t.ctl("--json", "alerts").json())
    # A later export: same connections plus one new in-window company contact.
    later = open(t.data("Connections.csv")).read() + \
        "Eva,Kok,https://www.linkedin.com/in/evakok,,Bouwbedrijf Jansen B.V.,Werkvoorbereider,01 Nov 2026\n"
    t.inbox("E1042", "Connections-2026-11.csv", later)
    assert t.daemon("--once").rc == 0
    alerts = t.ctl("--json", "alerts").json()
    assert len(alerts) == n + 1
    assert alerts[-1]["contact"]["name"] == "Eva Kok"


def test_malformed_export_is_rejected_recorded_and_others_processed(t):
    t.setup()
    t.inbox("E1042", "a-bad.csv", open(t.data("Connections-bad.csv")).read())
    t.inbox("E1042", "b-good.csv", open(t.data("Connections.csv")).read())
    r = t.daemon("--once")
    assert r.rc == 0
    bad = os.path.join(t.state, "inbox", "E1042", "a-bad.csv")
    assert f"{bad}:3:" in r.err, r.err
    assert len(t.ctl("--json", "alerts").json()) == 3
    st = t.ctl("--json", "status").json()
    assert st["files"] == {"processed": 1, "rejected": 1}
    rej = st["rejected_files"][0]
    assert rej["error"].startswith(f"{bad}:3: ")
    # Moved out of the inbox into rejected/, never deleted, byte for byte.
    assert not os.path.exists(bad)
    kept = rej["kept_path"]
    assert kept.startswith(os.path.join(t.state, "rejected", "E1042") + "/") and kept.endswith("-a-bad.csv")
    assert open(kept).read() == open(t.data("Connections-bad.csv")).read()
    assert "kept as " + kept in t.ctl("status").out
    # Reported once: the next pass neither re-reads nor re-reports it.
    r2 = t.daemon("--once")
    assert r2.rc == 0 and f"rejected {bad}" not in r2.err and "0 rejected" in r2.err


def test_rejected_file_in_a_source_directory_is_copied_not_moved(t):
    t.setup()
    exports = os.path.join(t.tmp, "exports")
    os.makedirs(exports)
    shutil.copy(t.data("Connections-bad.csv"), exports)
    with open(os.path.join(t.tmp, "staff.d", "E1042.conf"), "a") as f:
        f.write("\n[source:linkedin]\nPath=../exports/\n")
    assert t.daemon("--once").rc == 0
    original = os.path.join(exports, "Connections-bad.csv")
    assert os.path.exists(original)  # the admin's directory is left alone
    kept = t.ctl("--json", "status").json()["rejected_files"][0]["kept_path"]
    assert open(kept, "rb").read() == open(original, "rb").read()
    assert t.daemon("--once").rc == 0  # unchanged: not read or kept again
    assert len(os.listdir(os.path.dirname(kept))) == 1


def test_employee_outside_window_is_not_processed(t):
    t.setup(employees={"E2001": ("2024-01-31", "6months")})
    t.inbox("E2001", "Connections.csv", open(t.data("Connections.csv")).read())
    assert t.daemon("--once").rc == 0
    st = t.ctl("--json", "status").json()
    assert st["files"] == {"processed": 0, "rejected": 0}
    assert t.ctl("--json", "alerts").json() == []


def test_source_path_directory_is_scanned(t):
    t.setup()
    exports = os.path.join(t.tmp, "exports")
    os.makedirs(exports)
    shutil.copy(t.data("Connections.csv"), exports)
    open(os.path.join(exports, ".partial.csv"), "w").write("garbage\"")
    with open(os.path.join(t.tmp, "staff.d", "E1042.conf"), "a") as f:
        f.write("\n[source:linkedin]\nPath=../exports/\nFormat=auto\n")
    assert t.daemon("--once").rc == 0
    assert len(t.ctl("--json", "alerts").json()) == 3
    assert t.ctl("--json", "status").json()["files"]["rejected"] == 0  # hidden file skipped


def test_show_alert_json_and_text(t):
    t.setup()
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    t.daemon("--once")
    alerts = t.ctl("--json", "alerts", "--state", "new", "-e", "E1042").json()
    assert len(alerts) == 3
    one = t.ctl("--json", "show", str(alerts[0]["id"]))
    assert one.rc == 0 and one.json() == alerts[0]
    text = t.ctl("show", str(alerts[0]["id"]))
    assert text.rc == 0 and "why:" in text.out and "sha256" in text.out
    assert t.ctl("show", "999").rc == 2
    assert t.ctl("--json", "alerts", "--state", "dismissed").json() == []
    assert t.ctl("--json", "alerts", "--since", "2999-01-01").json() == []


def test_corrupt_state_database_exits_4(t):
    t.setup()
    os.makedirs(t.state, exist_ok=True)
    open(os.path.join(t.state, "contactwatch.db"), "wb").write(b"this is not sqlite" * 100)
    assert t.ctl("alerts").rc == 4
    assert t.daemon("--once").rc == 4


def test_newer_schema_exits_4(t):
    t.setup()
    os.makedirs(t.state, exist_ok=True)
    db = sqlite3.connect(os.path.join(t.state, "contactwatch.db"))
    db.execute("PRAGMA user_version=999")
    db.commit()
    db.close()
    r = t.daemon("--once")
    assert r.rc == 4 and "newer" in r.err


def test_daemon_notify_ready_status_reload_and_stop(t):
    t.setup()
    t.inbox("E1042", "Connections.csv", open(t.data("Connections.csv")).read())
    sock = os.path.join(t.tmp, "notify.sock")
    n = cw.NotifyListener(sock)
    try:
        p = t.start_daemon(sock)
        n.wait_for(lambda m: m.get("READY") == "1")
        st = n.wait_for(lambda m: m.get("STATUS", "").startswith("Last scan"))
        assert "3 new alert(s)" in st["STATUS"], st
        cw.wait_until(lambda: len(t.archive_lines()) == 3, what="archived alerts")

        # A broken config on SIGHUP: the daemon keeps running on the old one.
        good = open(t.conf).read()
        open(t.conf, "w").write(good + "\n[daemon]\nScanInterval=never\n")
        p.send_signal(signal.SIGHUP)
        n.wait_for(lambda m: m.get("RELOADING") == "1")
        n.wait_for(lambda m: m.get("READY") == "1")
        assert p.poll() is None, "daemon died on a broken reload"
        cw.wait_until(lambda: "keeping the running configuration" in t.daemon_log(), what="reload failure log")

        # A good config again: reloaded, and the daemon still scans new files.
        open(t.conf, "w").write(good)
        p.send_signal(signal.SIGHUP)
        n.wait_for(lambda m: m.get("RELOADING") == "1")
        n.wait_for(lambda m: m.get("READY") == "1")
        t.inbox("E1042", "later.csv", open(t.data("Connections.csv")).read() +
                "Eva,Kok,https://www.linkedin.com/in/evakok,,Jansen Bouw,Werkvoorbereider,01 Nov 2026\n")
        p.send_signal(signal.SIGHUP)  # a reload also starts a pass now
        cw.wait_until(lambda: len(t.archive_lines()) == 4, what="the new alert after reload")

        p.send_signal(signal.SIGTERM)
        n.wait_for(lambda m: m.get("STOPPING") == "1")
        assert p.wait(timeout=10) == 0
    finally:
        n.close()


def test_daemon_start_with_broken_config_exits_3(t):
    t.setup()
    with open(t.conf, "a") as f:
        f.write("[nonsense]\n")
    p = t.start_daemon(None)
    assert p.wait(timeout=10) == 3
    assert "nonsense" in t.daemon_log()


def test_employees_sharing_a_catalogue_each_get_their_own_alerts(t):
    """Employees naming the same catalogue with the same thresholds share one
    index; each still gets alerts under their own id, and one with its own
    [clause] threshold gets its own index (and its own verdicts)."""
    t.setup(employees={"E1042": ("2026-06-30", "12months"), "E1043": ("2026-06-30", "12months")})
    t.staff("E1044", "2026-06-30", "12months", extra="CompanyThreshold=0.99\n")
    export = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" \
             "Kees,Bakker,,,Bouwbedrijf Jansen B.V.,Inkoper,02 Aug 2026\n" \
             "Anna,Smit,,,Jansen Bouw Holding,Planner,03 Aug 2026\n"
    for eid in ("E1042", "E1043", "E1044"):
        t.inbox(eid, "Connections.csv", export)
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    alerts = t.ctl("--json", "alerts").json()
    by = {}
    for a in alerts:
        by.setdefault(a["employee"]["id"], []).append((a["record"], a["relation"]["id"]))
    assert sorted(by["E1042"]) == [(1, "R001"), (2, "R001")], alerts
    assert sorted(by["E1043"]) == [(1, "R001"), (2, "R001")], alerts
    # 0.99: the exact name (1.0) still matches; the alias with a low-identity
    # word (0.98) falls into the review band, so E1044's index is its own.
    assert sorted(by["E1044"]) == [(1, "R001"), (2, "R001")], alerts
    second = {a["employee"]["id"]: a for a in alerts if a["record"] == 2}
    assert second["E1044"].get("review") is True and second["E1044"]["severity"] == "low", second["E1044"]
    assert not second["E1042"].get("review") and second["E1042"]["severity"] == "high", second["E1042"]
    assert not second["E1043"].get("review") and second["E1043"]["severity"] == "high", second["E1043"]


def test_large_export_matched_on_worker_threads_gives_every_alert_in_order(t):
    """Exports longer than a batch are matched on worker threads: the alerts
    must be the same ones, at the same records and lines, as for a short
    export, however the records fall into batches."""
    t.setup()
    rows = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    want = []
    for i in range(1, 5001):
        if i % 997 == 0:
            rows.append(f"Kees,Bakker{i},,,Bouwbedrijf Jansen B.V.,Inkoper,02 Aug 2026")
            want.append(i)
        else:
            rows.append(f"Piet,Visser{i},,,Hoekstra Bouw {i} B.V.,Planner,03 Aug 2026")
    t.inbox("E1042", "Connections.csv", "\n".join(rows) + "\n")
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    alerts = t.ctl("--json", "alerts").json()
    assert sorted(a["record"] for a in alerts) == want, [a["record"] for a in alerts]
    assert all(a["line"] == a["record"] + 1 for a in alerts)
    assert [a["id"] for a in alerts] == sorted(a["id"] for a in alerts)
    # Stored in record order: ids ascend with the records.
    assert [a["record"] for a in sorted(alerts, key=lambda a: a["id"])] == want
