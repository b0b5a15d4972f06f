"""One contact set written in every export format (tests/data/formats/,
made by make.py there) gives the same matches: the matcher never knows
where a record came from, whatever the format, encoding or line ends."""
import os

import cw

FORMATS = os.path.join(cw.ROOT, "tests", "data", "formats")
FILES = {
    "linkedin.csv": "linkedin",
    "outlook-nl-1252.csv": "outlook",   # Dutch headers, ';', Windows-1252, CRLF
    "outlook-en-utf16.csv": "outlook",  # UTF-16LE with BOM
    "google.csv": "google",             # UTF-8 with BOM
    "vcard21.vcf": "vcard",             # quoted-printable
    "vcard30.vcf": "vcard",
    "vcard40.vcf": "vcard",
    "graph.json": "json",
}
EXPECTED = {("R002", "Petra van den Berg"), ("R001", "Kees Bakker"), ("R001", "Zoë Müller")}


def check(t, name):
    r = t.ctl("--json", "check", "-e", "E1042", os.path.join(FORMATS, name))
    assert r.rc == 1, (name, r.rc, r.err)
    return r.json()


def test_every_format_gives_the_same_matches(t):
    t.setup()
    for name, fmt in FILES.items():
        j = check(t, name)
        f = j["files"][0]
        assert f["format"] == fmt, (name, f)
        assert f["records"] == 5 and f["rejected"] == 0, (name, f)
        got = {(m["relation"]["id"], m["contact"]["name"]) for m in j["matches"]}
        assert got == EXPECTED, (name, got)


def test_dates_only_where_the_format_has_them(t):
    t.setup()
    dated = check(t, "linkedin.csv")
    assert {m["classification"] for m in dated["matches"]} == {"in_window"}
    undated = check(t, "vcard30.vcf")
    assert {m["classification"] for m in undated["matches"]} == {"undated"}
    assert {m["severity"] for m in undated["matches"]} == {"medium"}


def test_daemon_reads_every_format_from_the_inbox(t):
    t.setup()
    for name in FILES:
        t.inbox("E1042", name, open(os.path.join(FORMATS, name), "rb").read())
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    st = t.ctl("--json", "status").json()
    assert st["files"] == {"processed": len(FILES), "rejected": 0}, st
    # Dedup: the same connection in eight files raises one alert per relation and person.
    alerts = t.ctl("--json", "alerts").json()
    assert {(a["relation"]["id"], a["contact"]["name"]) for a in alerts} == EXPECTED
    assert len(alerts) == len(EXPECTED)
