"""Undated sources (vCards, Outlook, Google): the first export of a source is
its baseline (matches are `undated`, medium); a contact that appears in a
later export of the same source is `new_since_baseline`, high. The daemon
keeps only keyed hashes (HMAC-SHA256 under <StateDirectory>/secret) of the
earlier exports, never the contacts themselves."""
import glob
import os
import stat

import cw


def vcard(fn, family, given, org, email=None, url=None):
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{family};{given};;;", f"FN:{fn}", f"ORG:{org}"]
    if email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{email}")
    if url:
        lines += [f"item1.URL:{url}", "item1.X-ABLabel:LinkedIn"]
    return "\r\n".join(lines + ["END:VCARD"]) + "\r\n"


FIRST = [
    vcard("Petra van den Berg", "van den Berg", "Petra", "Acme Logistics", "p.vandenberg@acme.nl",
          "https://www.linkedin.com/in/petravdberg"),
    vcard("Kees Bakker", "Bakker", "Kees", "Jansen Bouw", "k.bakker@jansenbouw.nl"),
    # Matches nothing: must leave no trace in the state database.
    vcard("Wilhelmina Oosterhuis", "Oosterhuis", "Wilhelmina", "Zuivelfabriek Noorderkwartier",
          "w.oosterhuis@zuivelnoord.example"),
]
# Added since the first export, at a restricted company.
NEW = vcard("Sanne Visser", "Visser", "Sanne", "Bouwbedrijf Jansen B.V.", "s.visser@jansenbouw.nl")
# Also added since, matches nothing.
NEW_UNRELATED = vcard("Gerrit Tjeenk", "Tjeenk", "Gerrit", "Kaasmakerij Tjeenk", "gerrit@tjeenk.example")


def secret(t):
    path = os.path.join(t.state, "secret")
    st = os.lstat(path)
    with open(path, "rb") as f:
        return stat.S_IMODE(st.st_mode), stat.S_ISREG(st.st_mode), f.read()


def state_bytes(t):
    data = b""
    for p in glob.glob(os.path.join(t.state, "contactwatch.db*")):
        with open(p, "rb") as f:
            data += f.read()
    return data


def by_name(alerts):
    return {a["contact"]["name"]: a for a in alerts}


def test_second_export_flags_only_the_new_contact(t):
    t.setup()
    t.inbox("E1042", "contacts-2026-09.vcf", "".join(FIRST))
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    first = t.ctl("--json", "alerts").json()
    assert {(a["contact"]["name"], a["classification"], a["severity"]) for a in first} == {
        ("Petra van den Berg", "undated", "medium"), ("Kees Bakker", "undated", "medium")}, first

    mode, regular, key = secret(t)
    assert regular and mode == 0o600 and len(key) == 32, (mode, regular, len(key))

    # A later export of the same source: the same contacts (reordered,
    # re-cased) plus two added since.
    second = [FIRST[2], NEW_UNRELATED, FIRST[1].replace("k.bakker@jansenbouw.nl", "K.Bakker@JansenBouw.nl"),
              NEW, FIRST[0]]
    t.inbox("E1042", "contacts-2026-11.vcf", "".join(second))
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    # Known contacts are recognised from their hashes (re-cased address
    # included), not merely deduplicated as alerts: two are new.
    assert "5 undated contact(s) hashed, 2 new to the existing baseline" in r.err, r.err
    alerts = t.ctl("--json", "alerts").json()
    fresh = [a for a in alerts if a["id"] not in {b["id"] for b in first}]
    assert len(fresh) == 1, fresh
    assert fresh[0]["contact"]["name"] == "Sanne Visser", fresh[0]
    assert fresh[0]["relation"]["id"] == "R001"
    assert fresh[0]["classification"] == "new_since_baseline" and fresh[0]["severity"] == "high", fresh[0]
    # The old ones are untouched (same key, still undated/medium).
    old = by_name(alerts)
    assert old["Petra van den Berg"]["classification"] == "undated"
    assert old["Kees Bakker"]["severity"] == "medium"
    # The archive channel saw the new alert once.
    assert [a["contact"]["name"] for a in t.archive_lines()].count("Sanne Visser") == 1

    # The secret is created once and never changes.
    assert secret(t) == (mode, regular, key)

    # Data minimisation: contacts that matched nothing are not in the
    # database in any form (only keyed hashes of them).
    db = state_bytes(t)
    assert db, "no state database"
    for needle in ("Oosterhuis", "Wilhelmina", "zuivelnoord", "Tjeenk", "Kaasmakerij"):
        assert needle.encode() not in db, needle
        assert needle.lower().encode() not in db.lower(), needle
    # The secret never ends up in the database either.
    assert key not in db and key.hex().encode() not in db.lower()


def test_check_has_no_baseline(t):
    """`contactwatchctl check` stores nothing and reads no baseline: undated
    stays undated even after the daemon has seen earlier exports."""
    t.setup()
    t.inbox("E1042", "a.vcf", "".join(FIRST))
    assert t.daemon("--once").rc == 0
    path = t.write("later.vcf", "".join(FIRST + [NEW]))
    r = t.ctl("--json", "check", "-e", "E1042", path)
    assert r.rc == 1, r.err
    assert {m["classification"] for m in r.json()["matches"]} == {"undated"}


def test_rejected_export_adds_nothing_to_the_baseline(t):
    """A malformed export is rejected whole: the contacts it did contain do
    not become the baseline, so the next good export is still the first."""
    t.setup()
    broken = "".join(FIRST[:2]) + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Half a card\r\n"
    t.inbox("E1042", "broken.vcf", broken)
    assert t.daemon("--once").rc == 0
    st = t.ctl("--json", "status").json()
    assert st["files"]["rejected"] == 1, st
    t.inbox("E1042", "good.vcf", "".join(FIRST + [NEW]))
    assert t.daemon("--once").rc == 0
    alerts = t.ctl("--json", "alerts").json()
    assert {a["classification"] for a in alerts} == {"undated"}, alerts
    assert len(alerts) == 3


def test_baselines_are_per_source_and_format(t):
    """A dated LinkedIn export and an Outlook address book in the same inbox
    do not become a vCard's baseline; a second vCard does."""
    t.setup()
    formats = os.path.join(cw.ROOT, "tests", "data", "formats")
    t.inbox("E1042", "Connections.csv", open(os.path.join(formats, "linkedin.csv"), "rb").read())
    t.inbox("E1042", "outlook.csv", open(os.path.join(formats, "outlook-nl-1252.csv"), "rb").read())
    assert t.daemon("--once").rc == 0
    t.inbox("E1042", "phone.vcf", NEW)
    assert t.daemon("--once").rc == 0
    sanne = by_name(t.ctl("--json", "alerts").json())["Sanne Visser"]
    assert sanne["classification"] == "undated", sanne


def test_secret_with_group_access_stops_the_daemon(t):
    t.setup()
    os.makedirs(t.state, exist_ok=True)
    path = os.path.join(t.state, "secret")
    with open(path, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(path, 0o640)
    r = t.daemon("--once")
    assert r.rc == 4, (r.rc, r.err)
    assert "secret" in r.err and "group or others" in r.err, r.err
    # Not replaced: an admin fixes the mode, the key stays.
    with open(path, "rb") as f:
        before = f.read()
    os.chmod(path, 0o600)
    assert t.daemon("--once").rc == 0
    with open(path, "rb") as f:
        assert f.read() == before


def test_dated_sighting_reclassifies_an_undated_alert(t):
    """A connection alerted undated (a vCard) and later seen dated (LinkedIn):
    the date is the better evidence. Dated inside the window, the alert
    becomes in_window/high, its history says what it was, and the channels
    hear of it again under a new idempotency key; dated before departure,
    it becomes pre_existing/low quietly (no second message)."""
    import sqlite3
    t.setup()
    t.inbox("E1042", "contacts.vcf", "".join(FIRST[:2]))
    assert t.daemon("--once").rc == 0
    first = by_name(t.ctl("--json", "alerts").json())
    assert first["Kees Bakker"]["classification"] == "undated"
    assert first["Petra van den Berg"]["classification"] == "undated"
    assert len(t.archive_lines()) == 2
    t.inbox("E1042", "Connections.csv",
            "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
            "Kees,Bakker,,k.bakker@jansenbouw.nl,Jansen Bouw,Inkoper,02 Aug 2026\n"
            "Petra,van den Berg,https://www.linkedin.com/in/petravdberg,,Acme Logistics,Planner,12 Mar 2024\n")
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    after = by_name(t.ctl("--json", "alerts").json())
    assert len(after) == 2  # the same alerts, not new ones
    kees, petra = after["Kees Bakker"], after["Petra van den Berg"]
    assert kees["id"] == first["Kees Bakker"]["id"]
    assert (kees["classification"], kees["severity"]) == ("in_window", "high"), kees
    assert kees["contact"]["connected_on"] == "2026-08-02"
    assert kees["file"].endswith("Connections.csv") and kees["record"] == 1
    note = [h for h in kees["history"] if h["action"] == "reclassified"]
    assert len(note) == 1 and "was undated" in note[0]["note"] and "contacts.vcf" in note[0]["note"], kees
    assert (petra["classification"], petra["severity"]) == ("pre_existing", "low"), petra
    assert any(h["action"] == "reclassified" for h in petra["history"])
    # The archive heard of Kees twice (undated, then in_window), of Petra once.
    lines = t.archive_lines()
    assert [(x["contact"]["name"], x["classification"]) for x in lines if x["contact"]["name"] == "Kees Bakker"] \
        == [("Kees Bakker", "undated"), ("Kees Bakker", "in_window")], lines
    assert sum(1 for x in lines if x["contact"]["name"] == "Petra van den Berg") == 1
    db = sqlite3.connect(os.path.join(t.state, "contactwatch.db"))
    keys = [k for (k,) in db.execute("SELECT idem_key FROM deliveries WHERE alert_id = ? AND channel = 'archive'",
                                     (kees["id"],))]
    assert len(keys) == 1 and keys[0] == f"{kees['key']}-archive:in_window", keys
    # A third export dating Kees again changes nothing: the first date stays.
    t.inbox("E1042", "Connections-2.csv",
            "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
            "Kees,Bakker,,k.bakker@jansenbouw.nl,Jansen Bouw,Inkoper,03 Sep 2026\n")
    assert t.daemon("--once").rc == 0
    again = by_name(t.ctl("--json", "alerts").json())["Kees Bakker"]
    assert again["contact"]["connected_on"] == "2026-08-02"
    assert len(t.archive_lines()) == len(lines)
