"""The journal channel: structured entries with fixed MESSAGE_IDs and no
contact data. The daemon runs in a private mount namespace where
/run/systemd/journal/socket is our own datagram socket, so sd_journal_send()
talks to this test exactly as it would to journald."""
import os
import socket
import subprocess

import cw

ALERT_ID = "6f1c9a1e2b7d4c0e8a53d0c4b2e17f01"
REJECTED_ID = "6f1c9a1e2b7d4c0e8a53d0c4b2e17f02"


def parse_native(data):
    """journald's native protocol: KEY=value lines, or KEY\\n<le64 size><bytes>\\n."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            fields[k.decode()] = v.decode()
            i = nl + 1
        else:
            size = int.from_bytes(data[nl + 1:nl + 9], "little")
            fields[line.decode()] = data[nl + 9:nl + 9 + size].decode()
            i = nl + 9 + size + 1
    return fields


def run_in_journal_namespace(t, sock_path, argv):
    script = ('set -e; mkdir -p /run/systemd/journal; mount -t tmpfs tmpfs /run/systemd/journal; '
              'touch /run/systemd/journal/socket; mount --bind "$0" /run/systemd/journal/socket; exec "$@"')
    return t.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, sock_path, *argv])


def test_journal_entries_are_structured_and_carry_no_contact_data(t):
    t.setup(channels="[channel:journal]\nType=journal\n")
    t.inbox("E1042", "a-bad.csv", open(t.data("Connections-bad.csv")).read())
    t.inbox("E1042", "b-good.csv", open(t.data("Connections.csv")).read())
    sock_path = os.path.join(t.tmp, "journal.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    try:
        r = run_in_journal_namespace(t, sock_path, [cw.DAEMON, "-c", t.conf, "--once"])
        assert r.rc == 0, r.err
        entries = []
        sock.settimeout(0.2)
        while True:
            try:
                entries.append(parse_native(sock.recv(1 << 20)))
            except socket.timeout:
                break
    finally:
        sock.close()
    alerts = [e for e in entries if e.get("MESSAGE_ID") == ALERT_ID]
    rejected = [e for e in entries if e.get("MESSAGE_ID") == REJECTED_ID]
    assert len(alerts) == 3, entries
    assert {e["CONTACTWATCH_RELATION"] for e in alerts} == {"R001", "R002"}
    for e in alerts:
        assert e["CONTACTWATCH_EMPLOYEE"] == "E1042"
        assert e["CONTACTWATCH_ALERT"].isdigit()
        assert e["PRIORITY"] in ("4", "5")
        text = " ".join(e.values())
        # No contact data above debug: names, companies, URLs of contacts stay out.
        for secret in ("Petra", "Kees", "Bakker", "Mark", "de Jong", "linkedin.com/in", "jansenbouw.nl"):
            assert secret not in text, (secret, e)
    assert len(rejected) == 1
    assert rejected[0]["CONTACTWATCH_FILE"].endswith("a-bad.csv")
    assert ":3: " in rejected[0]["MESSAGE"]
