#!/usr/bin/python3
"""Writes one invented contact set in every export format contactwatch
reads, for tests/integration/test_formats.py: the same people must give the
same matches whatever the format, encoding or line ends. Run from anywhere;
writes beside this script. The outputs are committed; rerun after edits."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

PEOPLE = [
    # first, last, company, email, linkedin, title, connected
    ("Petra", "van den Berg", "Acme Logistics", "p.vandenberg@acme.nl",
     "https://www.linkedin.com/in/petravdberg", "Inkoper", "02 Aug 2026"),
    ("Kees", "Bakker", "Jansen Bouw", "k.bakker@jansenbouw.nl",
     "https://www.linkedin.com/in/keesbakker", "Projectleider", "15 Sep 2026"),
    ("Zoë", "Müller", "Bouwbedrijf Jansen B.V.", "",
     "https://www.linkedin.com/in/zoemuller", "Calculator", "01 Oct 2026"),
    ("Anna", "Visser", "Gemeente Utrecht", "anna.visser@utrecht.nl",
     "https://www.linkedin.com/in/annavisser", "Beleidsmedewerker", "03 Mar 2026"),
    ("Hélène", "de Wit", "Peters Transport", "helene.dewit@gmail.com",
     "https://www.linkedin.com/in/helenedewit", "Planner", "12 Dec 2025"),
]


def q(s):
    return '"' + s.replace('"', '""') + '"'


def write(name, text, encoding="utf-8", newline="\n", bom=False):
    data = text.replace("\n", newline)
    raw = data.encode(encoding)
    if bom and encoding == "utf-8":
        raw = b"\xef\xbb\xbf" + raw
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(raw)


def linkedin():
    lines = ["Notes:", q("When exporting your connection data, you may notice that some of the email "
                         "addresses are missing."), "",
             "First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    for f, l, c, e, u, t, d in PEOPLE:
        lines.append(",".join([f, l, u, e, q(c) if "," in c else c, t, d]))
    write("linkedin.csv", "\n".join(lines) + "\n")


OUTLOOK_NL = ["Aanhef", "Voornaam", "Middelste naam", "Achternaam", "Achtervoegsel", "Bedrijf", "Afdeling",
              "Functie", "Werkadres, straat", "Werkadres, plaats", "Werkadres, postcode", "Werkadres, land/regio",
              "Telefoon op werk", "Mobiele telefoon", "E-mailadres", "E-mailtype", "Weergavenaam voor e-mail",
              "E-mail 2", "Webpagina", "Notities"]
OUTLOOK_EN = ["Title", "First Name", "Middle Name", "Last Name", "Suffix", "Company", "Department",
              "Job Title", "Business Street", "Business City", "Business Postal Code", "Business Country/Region",
              "Business Phone", "Mobile Phone", "E-mail Address", "E-mail Type", "E-mail Display Name",
              "E-mail 2 Address", "Web Page", "Notes"]


def outlook_rows():
    for f, l, c, e, u, t, d in PEOPLE:
        yield ["", f, "", l, "", c, "", t, "Dorpsstraat 1", "Utrecht", "3511 AA", "Nederland", "", "",
               e, "SMTP" if e else "", f"{f} {l} ({e})" if e else "", "", u, ""]


def outlook():
    # Dutch Excel / Outlook: ';' and Windows-1252, CRLF, every cell quoted.
    text = ";".join(q(h) for h in OUTLOOK_NL) + "\n"
    text += "".join(";".join(q(x) for x in row) + "\n" for row in outlook_rows())
    write("outlook-nl-1252.csv", text, encoding="cp1252", newline="\r\n")
    # Outlook's Unicode export: UTF-16LE with BOM, tab-free, ',' and CRLF.
    text = ",".join(q(h) for h in OUTLOOK_EN) + "\n"
    text += "".join(",".join(q(x) for x in row) + "\n" for row in outlook_rows())
    with open(os.path.join(HERE, "outlook-en-utf16.csv"), "wb") as fh:
        fh.write(b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))


def google():
    head = ["First Name", "Middle Name", "Last Name", "Phonetic First Name", "Nickname", "Organization Name",
            "Organization Title", "Notes", "Labels", "E-mail 1 - Label", "E-mail 1 - Value",
            "E-mail 2 - Label", "E-mail 2 - Value", "Website 1 - Label", "Website 1 - Value"]
    lines = [",".join(head)]
    for f, l, c, e, u, t, d in PEOPLE:
        cells = [f, "", l, "", "", c, t, "", "* myContacts", "* Work" if e else "", e, "", "", "Profile", u]
        lines.append(",".join(q(x) if ("," in x or " " in x) else x for x in cells))
    write("google.csv", "\n".join(lines) + "\n", bom=True)


def vcard(version):
    out = []
    for f, l, c, e, u, t, d in PEOPLE:
        if version == "2.1":
            def qp(s):
                return "".join(ch if (ch.isascii() and ch.isprintable() and ch != "=") else
                               "".join(f"={b:02X}" for b in ch.encode("utf-8")) for ch in s)
            out += ["BEGIN:VCARD", "VERSION:2.1",
                    f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp(l)};{qp(f)};;;",
                    f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp(f + ' ' + l)}",
                    f"ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{qp(c)}", f"TITLE:{t}"]
            if e:
                out.append(f"EMAIL;INTERNET;WORK:{e}")
            out += [f"URL:{u}", "END:VCARD"]
        elif version == "3.0":
            out += ["BEGIN:VCARD", "VERSION:3.0", f"N:{l};{f};;;", f"FN:{f} {l}",
                    "ORG:" + c.replace(",", "\\,") + ";Verkoop", f"TITLE:{t}"]
            if e:
                out.append(f"EMAIL;TYPE=INTERNET,WORK:{e}")
            out += [f"item1.URL:{u}", "item1.X-ABLabel:LinkedIn", "END:VCARD"]
        else:
            out += ["BEGIN:VCARD", "VERSION:4.0", f"FN:{f} {l}", f"N:{l};{f};;;", f"ORG:{c}",
                    f"TITLE:{t}"]
            if e:
                out.append(f"EMAIL;TYPE=work:{e}")
            out += [f"SOCIALPROFILE;TYPE=linkedin:{u}", "END:VCARD"]
    name = {"2.1": "vcard21.vcf", "3.0": "vcard30.vcf", "4.0": "vcard40.vcf"}[version]
    write(name, "\n".join(out) + "\n", newline="\r\n")


def graph():
    value = []
    for f, l, c, e, u, t, d in PEOPLE:
        value.append({"id": f"AAMk{len(value)}", "displayName": f"{f} {l}", "givenName": f, "surname": l,
                      "companyName": c, "jobTitle": t, "businessHomePage": u,
                      "emailAddresses": [{"name": f"{f} {l}", "address": e}] if e else []})
    doc = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('x')/contacts", "value": value}
    write("graph.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    linkedin()
    outlook()
    google()
    for v in ("2.1", "3.0", "4.0"):
        vcard(v)
    graph()
