"""Bad exports: each gives exit 2 and one line `FILE:LINE: reason` from
`check`; in the daemon each is rejected, kept and reported while the other
files are still read."""
import os
import re

import cw

HDR = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
ROW = "Anna,Visser,https://www.linkedin.com/in/annavisser,,Gemeente Utrecht,Beleid,03 Mar 2026\n"

# name -> (bytes, expected line or None, expected reason)
BAD = {
    "truncated-quote.csv": ((HDR + ROW + 'Kees,"Bakker,https://x,,Jansen Bouw,PL,15 Sep 2026\n').encode(), 3,
                            "unterminated quoted field"),
    "nul-byte.csv": ((HDR + "Kees,Bak\0ker,,,Jansen Bouw,PL,15 Sep 2026\n").encode(), 2, "NUL byte"),
    "bom-invalid-utf8.csv": (b"\xef\xbb\xbf" + (HDR + ROW).encode() + b"Kees,M\xfcller,,,X,Y,15 Sep 2026\n", 3,
                             "invalid UTF-8 after a UTF-8 byte-order mark"),
    "one-10mb-line.csv": ((HDR + "Kees,Bakker,," + "x" * (10 << 20) + "\n").encode(), 2, "longer than"),
    "deep.json": (b'{"value": ' + b"[" * 100000 + b"]" * 100000 + b"}", 1, "nested deeper than"),
    "no-end.vcf": (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Kees Bakker\r\nORG:Jansen Bouw\r\n", 1, "vCard not ended"),
    "empty.csv": (b"", None, "empty file"),
}


def write_bad(t, directory):
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for name, (data, _, _) in BAD.items():
        paths[name] = os.path.join(directory, name)
        with open(paths[name], "wb") as f:
            f.write(data)
    return paths


def test_check_names_file_line_and_reason_in_one_line(t):
    t.setup()
    paths = write_bad(t, os.path.join(t.tmp, "bad"))
    for name, (_, line, reason) in BAD.items():
        r = t.ctl("check", "-e", "E1042", paths[name])
        assert r.rc == 2, (name, r.rc, r.err)
        lines = r.err.strip().splitlines()
        assert len(lines) == 1, (name, lines)
        where = f"{paths[name]}:{line}: " if line else f"{paths[name]}: "
        assert lines[0].startswith("contactwatchctl: " + where), (name, lines[0])
        assert reason in lines[0], (name, lines[0])


def test_header_only_is_an_empty_export_not_an_error(t):
    t.setup()
    p = t.write("header-only.csv", HDR)
    r = t.ctl("--json", "check", "-e", "E1042", p)
    assert r.rc == 0, r.err
    assert r.json()["files"][0]["records"] == 0


def test_daemon_rejects_each_bad_file_and_reads_the_good_one(t):
    t.setup()
    inbox = os.path.join(t.state, "inbox", "E1042")
    write_bad(t, inbox)
    t.inbox("E1042", "zz-good.csv", open(t.data("Connections.csv")).read())
    r = t.daemon("--once")
    assert r.rc == 0, r.err
    st = t.ctl("--json", "status").json()
    assert st["files"] == {"processed": 1, "rejected": len(BAD)}, st
    assert len(t.ctl("--json", "alerts").json()) == 3
    kept = {os.path.basename(f["kept_path"]).split("-", 1)[1] for f in st["rejected_files"]}
    assert kept == set(BAD), kept
    for f in st["rejected_files"]:
        assert re.match(r"^/.+?(:\d+)?: .+", f["error"]), f["error"]
    assert sorted(os.listdir(inbox)) == ["zz-good.csv"]  # the bad ones moved to rejected/
