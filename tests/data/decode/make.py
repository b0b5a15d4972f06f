#!/usr/bin/python3
"""Writes the decoding golden inputs (NAME.in): the same LinkedIn
Connections export saved in every encoding contactwatch reads, as the tools
that write them do. Every file has the same lines, so every NAME.ok is the
same (test_ingest_decode.c asserts it). Run from anywhere; then
CW_UPDATE_GOLDEN=1 build/tests/test_ingest_decode rewrites the .ok files:
review them by hand."""
import csv
import io
import os

HERE = os.path.dirname(os.path.abspath(__file__))

NOTE = ("When exporting your connection data, you may notice that some of the "
        "email addresses are missing. You will only see email addresses for "
        "connections who have allowed their connections to see or download it.")
HEADER = ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]
# Dutch names and companies with the characters Windows-1252 has outside
# Latin-1 (’ ‘ “ ” – € ™ Œ Š) as well as Latin-1 letters.
ROWS = [
    ["Jürgen", "Müller", "https://www.linkedin.com/in/jurgenmuller", "", "Müller & Zonen B.V.",
     "Directeur", "07 Feb 2026"],
    ["Zoë", "de Vries", "https://www.linkedin.com/in/zoedevries", "zoe.devries@example.nl",
     "Voorbeeld Bouw, Zuid", "Projectleider", "08 Feb 2026"],
    ["Hélène", "Dubois", "https://www.linkedin.com/in/helenedubois", "", "Société Générale",
     "Analyste ‘senior’", "09 Feb 2026"],
    ["IJsbrand", "’t Hart", "https://www.linkedin.com/in/ijsbrandthart", "", "Café ’t Hoekje",
     "Eigenaar – €-beheer", "10 Feb 2026"],
    ["", "", "", "", "", "", "11 Feb 2026"],
    ["Anne-Marie", "Šimek", "https://www.linkedin.com/in/annemariesimek", "", "Œuvre™ Design",
     "“Creatief” directeur", "12 Feb 2026"],
    ["Lars", "Åberg", "https://www.linkedin.com/in/larsaberg", "", "Ærø Shipping; Noord",
     "Kapitein", ""],
]


def linkedin_text(newline):
    """As LinkedIn writes it: the Notes preamble, ',' and quotes where needed."""
    out = io.StringIO()
    out.write("Notes:" + newline)
    out.write('"' + NOTE + '"' + newline)
    out.write(newline)
    w = csv.writer(out, delimiter=",", lineterminator=newline)
    w.writerow(HEADER)
    w.writerows(ROWS)
    return out.getvalue()


def excel_text():
    """As Excel in a Dutch locale re-saves it: ';', CRLF, the preamble padded."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    pad = [""] * (len(HEADER) - 1)
    w.writerow(["Notes:"] + pad)
    w.writerow([NOTE] + pad)
    w.writerow([""] * len(HEADER))
    w.writerow(HEADER)
    w.writerows(ROWS)
    return out.getvalue()


FILES = {
    # LinkedIn's own export: UTF-8, no BOM, LF.
    "utf8": linkedin_text("\n").encode("utf-8"),
    # Re-saved by a tool that writes a BOM (Google, newer Data Loader).
    "utf8_bom": b"\xef\xbb\xbf" + linkedin_text("\n").encode("utf-8"),
    # Outlook: UTF-16LE with a BOM and CRLF.
    "utf16le_bom_crlf": b"\xff\xfe" + linkedin_text("\r\n").encode("utf-16-le"),
    # Big-endian UTF-16 with a BOM (rare; older Mac tools).
    "utf16be_bom": b"\xfe\xff" + linkedin_text("\n").encode("utf-16-be"),
    # Excel re-save in a Dutch locale: Windows-1252, ';', CRLF.
    "windows1252_excel": excel_text().encode("cp1252"),
}

if __name__ == "__main__":
    for name, data in FILES.items():
        with open(os.path.join(HERE, name + ".in"), "wb") as f:
            f.write(data)
