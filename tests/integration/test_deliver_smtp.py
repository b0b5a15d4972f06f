"""Mail channels against a real SMTP server (aiosmtpd on loopback): one
message per alert with several recipients, non-ASCII names in the Subject,
a Message-ID that stays the same when a refused message is sent again, AUTH
with credentials from $CREDENTIALS_DIRECTORY, Digest=yes; and Pseudonymize=
across both remote channel types."""
import json
import os

from deliveries import alerts, by_key, channel, credentials, export, rows, status
from receivers import HttpReceiver, SmtpReceiver

TO = "legal@example.nl, counsel@example.nl"


def zoe(t):
    """E3001, Zoë Müller, with the integration export in her inbox."""
    t.write("staff.d/E3001.conf",
            "[employee]\nId=E3001\nName=Zoë Müller\nEmail=zoe@example.nl\nDepartureDate=2026-06-30\n\n"
            "[clause]\nDuration=12months\nRelations=key-accounts.json\nPenaltyPerViolation=10000 EUR\n"
            "Reference=Arbeidsovereenkomst art. 12\n")
    export(t, "E3001")


def test_one_mail_per_alert_stable_message_id_auth_and_non_ascii(t):
    rx = t.serve(SmtpReceiver(fail_first=1, fail_reply="451 4.3.0 Try again later",
                              auth={"alerts@example.nl": "mail-s3cret"}))
    env = credentials(t, smtp_user="alerts@example.nl\n", smtp_password="mail-s3cret\n")
    t.setup(employees={}, channels=channel(
        "legal", Type="smtp", URL=rx.url, From="contactwatch@example.nl", To=TO,
        UsernameCredential="smtp-user", PasswordCredential="smtp-password", RetryDelay="1s"))
    zoe(t)
    t.start_daemon(env=env)
    rx.wait_for(lambda r: len(r.accepted()) == 3, 30, "three accepted mails")
    assert len(rx.messages) == 4 and rx.messages[0].code == 451
    assert rx.auth_failures == 0 and all(m.login == "alerts@example.nl" for m in rx.messages)

    want = {a["relation"]["name"] for a in alerts(t)}
    ids = set()
    for m in rx.accepted():
        assert m.mail_from == "contactwatch@example.nl"
        assert sorted(m.rcpt_tos) == ["counsel@example.nl", "legal@example.nl"]
        msg = m.parsed()
        assert sorted(a.addr_spec for a in msg["To"].addresses) == ["counsel@example.nl", "legal@example.nl"]
        subject = str(msg["Subject"])
        assert "Zoë Müller" in subject, subject
        assert any(name in subject for name in want), subject
        assert msg.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in msg.iter_parts()]
        assert parts == ["text/plain", "text/html"], parts
        text = msg.get_body(("plain",)).get_content()
        assert "Zoë Müller" in text
        assert b"\r\n" in m.data and not any(len(l) > 998 for l in m.data.split(b"\r\n"))
        ids.add(msg["Message-ID"])
    assert len(ids) == 3
    # The refused message came again, same Message-ID: a repeat is recognisable.
    refused = rx.messages[0].parsed()["Message-ID"]
    assert refused in ids, (refused, ids)
    assert sum(m.parsed()["Message-ID"] == refused for m in rx.messages) == 2
    assert status(t, "legal")["delivered"] == 3


def test_digest_one_mail_per_employee(t):
    rx = t.serve(SmtpReceiver())
    t.setup(channels=channel("legal", Type="smtp", URL=rx.url, From="contactwatch@example.nl", To=TO,
                             Digest="yes"))
    export(t)
    zoe(t)
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    assert len(rx.accepted()) == 2, rx.messages
    by_employee = {}
    for m in rx.accepted():
        msg = m.parsed()
        text = msg.get_body(("plain",)).get_content()
        who = "E3001" if "Zoë Müller" in str(msg["Subject"]) + text else "E1042"
        by_employee[who] = text
    assert sorted(by_employee) == ["E1042", "E3001"]
    for eid, text in by_employee.items():
        for a in alerts(t):
            if a["employee"]["id"] == eid:
                assert a["relation"]["name"] in text and str(a["id"]) in text, (eid, a["id"])
    assert status(t, "legal")["delivered"] == 6
    assert all(w["state"] == "delivered" for w in rows(t))


def test_pseudonymize_keeps_the_name_out_of_every_body(t):
    mail = t.serve(SmtpReceiver())
    hook = t.serve(HttpReceiver())
    t.setup(channels=channel("legal", Type="smtp", URL=mail.url, From="contactwatch@example.nl", To=TO,
                             Pseudonymize="yes") +
            channel("hook", Type="webhook", URL=hook.url, Pseudonymize="yes") +
            channel("plain", Type="webhook", URL=hook.url))
    export(t)
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    assert len(mail.accepted()) == 3
    got = by_key(hook.received(200))
    assert len(got) == 6
    for m in mail.accepted():
        raw = m.data.decode("ascii", "replace")
        msg = m.parsed()
        whole = str(msg["Subject"]) + "".join(p.get_content() for p in msg.iter_parts())
        assert "Jan de Vries" not in whole and "Vries" not in raw, whole
        assert "E1042" in whole
    for key, reqs in got.items():
        body = json.loads(reqs[0].body)
        if key.endswith("-hook"):
            assert "Vries" not in reqs[0].body.decode(), body
            assert body["employee"] == {"id": "E1042", "name": "E1042"}
        else:  # a channel without Pseudonymize= is unchanged
            assert body["employee"]["name"] == "Jan de Vries"
