"""The shipped demo configuration (conf/) and sample exports
(contrib/examples/) give exactly the results contrib/examples/README.md lists."""
import os

import cw

CONF = os.path.join(cw.ROOT, "conf", "contactwatch.conf")
E1042 = os.path.join(cw.ROOT, "contrib", "examples", "E1042", "Connections.csv")
E2001 = os.path.join(cw.ROOT, "contrib", "examples", "E2001", "Connections.csv")


def test_demo_config_is_valid(t):
    r = t.run([cw.DAEMON, "-c", CONF, "--check-config"], env={"STATE_DIRECTORY": t.tmp})
    assert r.rc == 0, r.err
    assert "2 employee(s), 1 in a live clause window" in r.out


def test_demo_export_gives_the_documented_matches(t):
    r = t.run([cw.CTL, "-c", CONF, "--json", "check", "-e", "E1042", E1042], env={"STATE_DIRECTORY": t.tmp})
    assert r.rc == 1, r.err
    j = r.json()
    assert j["files"][0]["records"] == 59 and j["files"][0]["rejected"] == 0
    got = sorted((m["record"], m["line"], m["relation"]["id"], m["evidence"][0]["feature"], m["classification"])
                 for m in j["matches"])
    assert got == sorted([
        (2, 6, "R006", "email_domain", "in_window"),
        (7, 12, "R002", "company_name", "in_window"),
        (9, 14, "R008", "profile_url", "in_window"),
        (12, 17, "R004", "company_name", "in_window"),
        (13, 18, "R001", "company_name", "pre_existing"),
        (52, 57, "R009", "profile_url", "pre_existing"),
        (52, 57, "R002", "company_name", "pre_existing"),
    ]), got


def test_demo_employee_outside_window_is_refused(t):
    r = t.run([cw.CTL, "-c", CONF, "check", "-e", "E2001", E2001], env={"STATE_DIRECTORY": t.tmp})
    assert r.rc == 2 and "outside their clause window" in r.err


def test_demo_once_then_alerts(t):
    env = {"STATE_DIRECTORY": t.tmp}
    # The demo's archive channel writes to build/demo/: point conf.d elsewhere
    # by running on a copy of conf/ so the test never touches the source tree.
    import shutil
    conf_copy = os.path.join(t.tmp, "conf")
    shutil.copytree(os.path.join(cw.ROOT, "conf"), conf_copy)
    examples = os.path.join(t.tmp, "contrib", "examples")
    shutil.copytree(os.path.join(cw.ROOT, "contrib", "examples"), examples)
    os.makedirs(os.path.join(t.tmp, "build", "demo"))
    conf = os.path.join(conf_copy, "contactwatch.conf")
    r = t.run([cw.DAEMON, "-c", conf, "--once"], env=env)
    assert r.rc == 0, r.err
    alerts = t.run([cw.CTL, "-c", conf, "--json", "alerts"], env=env).json()
    assert len(alerts) == 7
    assert sum(a["severity"] == "high" for a in alerts) == 4
    assert all(a["employee"]["id"] == "E1042" for a in alerts)
    with open(os.path.join(t.tmp, "build", "demo", "alerts.jsonl")) as f:
        assert len(f.read().splitlines()) == 7
