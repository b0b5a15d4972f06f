"""Delivery under failure: a receiver that is down (--once exits 0 and keeps
the rows), a daemon killed with transfers in flight (every alert still
arrives, under its one key), and a receiver that hangs (SIGTERM, scans and
the watchdog are not held up by it)."""
import os
import signal
import time

import cw
from deliveries import alerts, by_key, channel, export, rows, status, wait_rows
from receivers import Answer, HttpReceiver

NEW_EXPORT = ("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
              "Eva,Kok,https://www.linkedin.com/in/evakok,,Jansen Bouw,Werkvoorbereider,01 Nov 2026\n")


def test_receiver_down_once_keeps_rows_then_delivers_once(t):
    rx = t.serve(HttpReceiver())
    rx.down()
    # Two employees: 6 deliveries on one channel, more than it may have in
    # flight at once, so --once must start the rest as transfers finish.
    t.setup(employees={"E1042": ("2026-06-30", "12months"), "E1043": ("2026-06-30", "12months")},
            channels=channel("hook", Type="webhook", URL=rx.url) +
            channel("archive", Type="file", Path="alerts.jsonl"))
    export(t, "E1042")
    export(t, "E1043")
    start = time.monotonic()
    r = t.daemon("--once")
    took = time.monotonic() - start
    assert r.rc == 0, r.err
    assert took < 10, took  # a refused connection fails at once
    assert r.err.count("attempt 1 failed") == 6, r.err
    assert len(t.archive_lines()) == 6  # the local channel is not held up
    s = status(t, "hook")
    assert s["retrying"] == 6 and s["delivered"] == 0 and s["last_error"], s
    assert all(w["state"] == "queued" and w["attempts"] == 1 for w in rows(t) if w["channel"] == "hook")

    # Up again: the next run sends each once, backoff or not.
    rx.up()
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    got = by_key(rx.received())
    assert sorted(got) == sorted(a["key"] + "-hook" for a in alerts(t))
    assert all(len(v) == 1 and v[0].status == 200 for v in got.values()), got
    assert status(t, "hook")["delivered"] == 6
    assert len(t.archive_lines()) == 6  # not archived twice


def test_kill_9_with_transfers_in_flight_loses_nothing(t):
    rx = t.serve(HttpReceiver())
    rx.answer = Answer(delay=None)  # hang until told otherwise
    t.setup(channels=channel("hook", Type="webhook", URL=rx.url, Timeout="60s"))
    export(t)
    p = t.start_daemon()
    rx.wait_for(lambda r: len(r.received()) == 3, 20, "three transfers in flight")
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    assert all(w["state"] == "queued" and w["attempts"] == 0 for w in rows(t))

    rx.answer = Answer(200)
    t.start_daemon()
    rx.wait_for(lambda r: len(r.received(200)) == 3, 20, "every alert after the restart")
    got = by_key(rx.received())
    keys = {a["key"] + "-hook" for a in alerts(t)}
    assert set(got) == keys, got  # one key per alert and channel, whatever happened
    assert all(sum(q.status == 200 for q in v) == 1 for v in got.values()), got
    repeats = sum(len(v) - 1 for v in got.values())
    print(f"# kill -9 with 3 transfers in flight: {len(keys)} alerts delivered, "
          f"{repeats} same-key repeat(s) (the receiver drops them by Idempotency-Key)")
    cw.wait_until(lambda: all(w["state"] == "delivered" for w in rows(t)), 10, "rows marked delivered")


def test_hanging_receiver_holds_up_neither_scans_nor_watchdog_nor_sigterm(t):
    rx = t.serve(HttpReceiver())
    rx.answer = Answer(delay=60)
    t.setup(daemon_extra="ScanInterval=1s\n",
            channels=channel("hook", Type="webhook", URL=rx.url, Timeout="60s") +
            channel("archive", Type="file", Path="alerts.jsonl"))
    export(t)
    sock = os.path.join(t.tmp, "notify.sock")
    n = cw.NotifyListener(sock)
    try:
        p = t.start_daemon(sock, env={"WATCHDOG_USEC": "2000000"})
        n.wait_for(lambda m: m.get("READY") == "1")
        rx.wait_for(lambda r: len(r.received()) == 3, 20, "three hanging transfers")
        cw.wait_until(lambda: len(t.archive_lines()) == 3, 10, "the first alerts archived")

        # A new export while the receiver hangs: scanned on schedule.
        dropped = time.monotonic()
        t.inbox("E1042", "later.csv", NEW_EXPORT)
        cw.wait_until(lambda: len(t.archive_lines()) == 4, 10, "the new alert")
        scan_latency = time.monotonic() - dropped
        assert scan_latency < 2.0 + 0.5, scan_latency  # ScanInterval=1s, plus a second at most
        rx.wait_for(lambda r: len(r.received()) == 4, 10, "the new alert's transfer")

        # The watchdog is served all along (every WATCHDOG_USEC/2).
        n.messages.clear()
        wd_start = time.monotonic()
        n.wait_for(lambda m: m.get("WATCHDOG") == "1", 3)
        n.wait_for(lambda m: m.get("WATCHDOG") == "1", 3)
        wd_two = time.monotonic() - wd_start

        stop = time.monotonic()
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0
        stop_latency = time.monotonic() - stop
        assert stop_latency < 1.0, stop_latency
        assert all(w["state"] == "queued" for w in rows(t) if w["channel"] == "hook")
        print(f"# hanging receiver (60 s): SIGTERM -> exit in {stop_latency * 1000:.0f} ms; new export -> "
              f"alert archived in {scan_latency:.2f}s (ScanInterval=1s); two watchdog pings in {wd_two:.2f}s "
              f"(WATCHDOG_USEC=2s)")
    finally:
        n.close()


def test_alert_renewed_while_its_old_delivery_is_in_flight_is_still_sent(t):
    """A scan reclassifies an alert (an undated connection now dated in the
    window) while the old message is still being sent. The old attempt's
    200 must not mark the renewed row delivered: the in_window alert goes out
    too, under its new key."""
    from receivers import Answer
    rx = t.serve(HttpReceiver())
    rx.script = [Answer(200, delay=4)]  # the first request hangs 4 s, then succeeds
    t.setup(daemon_extra="ScanInterval=1s\n", channels=channel("hook", Type="webhook", URL=rx.url, Timeout="30s"))
    t.inbox("E1042", "contacts.vcf",
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Bakker;Kees;;;\r\nFN:Kees Bakker\r\nORG:Jansen Bouw\r\n"
            "EMAIL;TYPE=INTERNET,WORK:k.bakker@jansenbouw.nl\r\nEND:VCARD\r\n")
    t.start_daemon()
    rx.wait_for(lambda r: len(r.received()) == 1, 20, "the undated alert in flight")
    t.inbox("E1042", "Connections.csv",
            "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
            "Kees,Bakker,,k.bakker@jansenbouw.nl,Jansen Bouw,Inkoper,02 Aug 2026\n")
    key = alerts(t)[0]["key"]
    rx.wait_for(lambda r: any(q.headers.get("Idempotency-Key") == f"{key}-hook:in_window" for q in r.received()),
                30, "the renewed alert")
    got = by_key(rx.received())
    assert set(got) == {f"{key}-hook", f"{key}-hook:in_window"}, got
    assert got[f"{key}-hook:in_window"][0].json()["classification"] == "in_window"
    wait_rows(t, lambda rs: all(w["state"] == "delivered" for w in rs), 20, "the renewed row delivered")
