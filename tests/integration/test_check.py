"""contactwatchctl check: the whole pipeline as a dry run, its JSON and exit codes."""
import hashlib
import os
import shutil
import subprocess

import cw


def test_check_json_reports_matches_and_exits_1(t):
    t.setup()
    src = t.data("Connections.csv")
    r = t.ctl("--json", "check", "-e", "E1042", src)
    assert r.rc == 1, r.err
    j = r.json()
    assert j["employee"] == "E1042"
    assert j["window"] == {"start": "2026-06-30", "end": "2027-06-30"}
    f = j["files"][0]
    assert f["path"] == src and f["format"] == "linkedin"
    assert f["records"] == 7, f  # the date-only row is not a record
    assert f["rejected"] == 0
    assert f["sha256"] == hashlib.sha256(open(src, "rb").read()).hexdigest()
    got = {(m["record"], m["line"], m["relation"]["id"], m["classification"], m["severity"]) for m in j["matches"]}
    assert got == {
        (2, 6, "R002", "in_window", "high"),
        (3, 7, "R001", "in_window", "high"),
        (4, 8, "R001", "pre_existing", "low"),
    }, got


def test_check_match_object_has_spec_shape(t):
    t.setup()
    j = t.ctl("--json", "check", "-e", "E1042", t.data("Connections.csv")).json()
    m = next(m for m in j["matches"] if m["relation"]["id"] == "R002")
    assert set(m) >= {"file", "record", "line", "contact", "relation", "score", "evidence", "classification",
                      "severity"}
    assert m["contact"] == {"name": "Petra van den Berg", "company": "Acme Logistics", "email": None,
                            "profile_url": "https://www.linkedin.com/in/petravdberg",
                            "connected_on": "2026-08-02", "event": "connection"}
    assert m["relation"] == {"id": "R002", "type": "person", "name": "Petra van den Berg"}
    assert 0 < m["score"] <= 1
    feats = {e["feature"] for e in m["evidence"]}
    assert "profile_url" in feats, m["evidence"]
    for e in m["evidence"]:
        assert set(e) == {"feature", "contact", "relation", "score"}


def test_check_options_after_command_word(t):
    t.setup()
    r = t.ctl("check", "-e", "E1042", t.data("Connections.csv"), "--json")
    assert r.rc == 1
    assert len(r.json()["matches"]) == 3


def test_check_human_output_names_file_line_and_reason(t):
    t.setup()
    r = t.ctl("check", "-e", "E1042", t.data("Connections.csv"))
    assert r.rc == 1
    assert "Connections.csv:6:" in r.out and "R002" in r.out
    assert "why: profile_url" in r.out


def test_check_no_match_exits_0(t):
    t.setup()
    r = t.ctl("--json", "check", "-e", "E1042", t.data("Connections-nomatch.csv"))
    assert r.rc == 0, r.err
    assert r.json()["matches"] == []


def test_check_malformed_export_exits_2_naming_file_and_line(t):
    t.setup()
    bad = t.data("Connections-bad.csv")
    r = t.ctl("check", "-e", "E1042", bad)
    assert r.rc == 2
    assert f"contactwatchctl: {bad}:3: " in r.err, r.err


def test_check_malformed_file_does_not_hide_other_files(t):
    t.setup()
    r = t.ctl("--json", "check", "-e", "E1042", t.data("Connections-bad.csv"), t.data("Connections.csv"))
    assert r.rc == 2
    j = r.json()
    assert len(j["matches"]) == 3
    assert "error" in j["files"][0] and j["files"][1]["records"] == 7


def test_check_stores_nothing(t):
    t.setup()
    t.ctl("check", "-e", "E1042", t.data("Connections.csv"))
    assert not os.path.exists(os.path.join(t.state, "contactwatch.db"))


def test_check_refuses_employee_outside_window(t):
    t.setup(employees={"E2001": ("2024-01-31", "6months")})
    r = t.ctl("check", "-e", "E2001", t.data("Connections.csv"))
    assert r.rc == 2
    assert "outside their clause window" in r.err


def test_check_unknown_employee_and_usage_errors(t):
    t.setup()
    assert t.ctl("check", "-e", "NOPE", t.data("Connections.csv")).rc == 2
    assert t.ctl("check", t.data("Connections.csv")).rc == 2
    assert t.ctl("frobnicate").rc == 2
    assert t.ctl("--no-such-option", "status").rc == 2


def test_check_missing_file_exits_2(t):
    t.setup()
    r = t.ctl("check", "-e", "E1042", os.path.join(t.tmp, "missing.csv"))
    assert r.rc == 2 and "missing.csv" in r.err


def test_check_config_error_exits_3_with_file_line(t):
    t.setup()
    with open(t.conf, "a") as f:
        f.write("Bogus=1\n")
    r = t.ctl("check", "-e", "E1042", t.data("Connections.csv"))
    assert r.rc == 3
    lines = open(t.conf).read().splitlines()
    assert f"{t.conf}:{len(lines)}:" in r.err, r.err


def test_version_and_help(t):
    t.setup()
    for prog in (cw.CTL, cw.DAEMON):
        r = t.run([prog, "--version"])
        assert r.rc == 0 and "0." in r.out
        r = t.run([prog, "--help"])
        assert r.rc == 0 and "--config" in r.out


def test_check_report_that_cannot_be_written_is_an_error(t):
    """A report cut short (here: a full disk) must not pass for a complete one
    with fewer matches: exit 2 and a line on stderr, in both output forms."""
    t.setup()
    src = t.data("Connections.csv")
    for form in (["--json"], []):
        with open("/dev/full", "w") as full:
            p = subprocess.run([cw.CTL, "-c", t.conf, *form, "check", "-e", "E1042", src], stdout=full,
                               stderr=subprocess.PIPE, text=True, timeout=60)
        assert p.returncode == 2, (form, p.returncode, p.stderr)
        assert "could not be written" in p.stderr, p.stderr
