#!/usr/bin/python3
"""Writes tests/eval/labelled.csv: labelled (relation, contact) pairs for the
matcher's evaluation, in the columns of tests/data/matching/shared-cases.csv.

Every pair is produced by a template whose label follows from a rule in
/work/shared/spec/domain.md (legal forms and low-identity words carry no
identity, trade words need a distinctive word beside them, acronyms only
exactly, free mail says nothing, initials need corroboration, ...), so the
label is right by construction; a fixed seed makes the file reproducible:
    python3 tests/eval/make_labelled.py > tests/eval/labelled.csv
The hard negatives at the end are written by hand."""
import csv
import random
import sys

rng = random.Random(20260630)

HEADER = ["id", "expect", "feature", "relation_type", "relation_name", "relation_aliases",
          "relation_domains", "relation_company", "relation_emails", "relation_linkedin",
          "contact_first", "contact_last", "contact_company", "contact_email", "contact_url", "note"]

# Distinctive company words: surnames and invented brand names (>= 5 letters).
LONG = ["Hoogendijk", "Vanderlande", "Heijmans", "Boskalis", "Stoelinga", "Wijnbergen", "Kortenhoeven",
        "Brinkhorst", "Zonnebloem", "Duinmeijer", "Vlietstra", "Rietveldt", "Koopmansch", "Mastenbroek",
        "Terpstrawerk", "Wolterinck", "Haverkamp", "Blokhuisen", "Groeneveld", "Schoonhoven",
        "Aldenkamp", "Vreeswijk", "Kloosterman", "Westerhuis", "Oosterbaan", "Dijkstraal", "Bouwmeester",
        "Lindenhout", "Kievitsbos", "Marsmanweg"]
SHORT = ["Smit", "Mol", "Bos", "Post", "Kok", "Vos", "Dekker", "Visser", "Peters", "Bakker"]
ACRONYMS = ["KPN", "ING", "BAM", "ASML", "TNT", "DSM", "NS", "KLM", "ASR", "VGZ", "CZ", "NN"]
TRADE = ["Bouw", "Transport", "Installaties", "Logistiek", "Advocaten", "Techniek", "Consultancy",
         "Vastgoed", "Accountants", "Makelaardij", "Elektrotechniek", "Schildersbedrijf"]
LEGAL = ["B.V.", "BV", "N.V.", "NV", "Holding B.V.", "GmbH", "Ltd", "Inc.", "LLC", "S.A.", "V.O.F.", "BVBA"]
LOWID = ["Nederland", "Benelux", "Holding", "Groep", "International", "Europe"]
FIRST = ["Sjoerd", "Petra", "Anne-Marie", "Jeroen", "Femke", "Willem", "Karin", "Maarten", "Ilse",
         "Joost", "Marloes", "Bram", "Lotte", "Pieter", "Saskia", "Thijs", "Eline", "Ruud"]
PARTICLES = ["", "", "van", "de", "van der", "van den", "ter", "van de"]
SURNAMES = ["Molen", "Berg", "Vries", "Wit", "Hoogenboom", "Brinkman", "Kuipers", "Verhoeven",
            "Dijkhuizen", "Westerveld", "Kamphuis", "Schouten", "Bosman", "Hendriks", "Timmermans",
            "Vermeulen", "Koopmans", "Bruggeman", "Meijerink", "Zijlstra", "Steenbergen", "Oosterhout"]
FREEMAIL = ["gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "xs4all.nl", "live.nl",
            "icloud.com", "planet.nl", "home.nl"]

rows = []


def add(expect, feature, rtype, rname, contact, note, aliases="", domains="", rcompany="",
        remails="", rlinkedin=""):
    first, last, company, email, url = contact
    rows.append([None, expect, feature if expect == "match" else "", rtype, rname, aliases, domains,
                 rcompany, remails, rlinkedin, first, last, company, email, url, note])


def domain_of(name):
    return name.lower().replace(" ", "").replace("ij", "ij") + ".nl"


def typo(word):
    """One edit (substitution, deletion, insertion or transposition) at an
    inner position (never the first or last letter: a letter added or
    dropped at the end is another surname, Bruggeman/Bruggemans)."""
    w = word.lower()
    i = rng.randrange(1, len(w) - 2)
    kind = rng.choice(["sub", "del", "ins", "swap"])
    letters = "abcdefghklmnoprstuvwz"
    if kind == "sub":
        c = rng.choice([x for x in letters if x != w[i]])
        w = w[:i] + c + w[i + 1:]
    elif kind == "del":
        w = w[:i] + w[i + 1:]
    elif kind == "ins":
        w = w[:i] + rng.choice(letters) + w[i:]
    else:
        if w[i] == w[i + 1]:
            w = w[:i] + rng.choice([x for x in letters if x != w[i]]) + w[i + 1:]
        else:
            w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
    return w.capitalize()


def person(first, particles, surname):
    return (first + " " + (particles + " " if particles else "") + surname).strip()


# ---- company positives ------------------------------------------------------
for w in LONG:
    t = rng.choice(TRADE)
    base = f"{w} {t}"
    rel = f"{base} {rng.choice(LEGAL)}"
    dom = domain_of(w)
    add("match", "company_name", "company", rel, ("Ilse", "Mol", f"{base} {rng.choice(LEGAL)}", "", ""),
        "legal form varies", domains=dom)
    add("match", "company_name", "company", rel, ("Ilse", "Mol", base.upper(), "", ""),
        "upper case, no legal form", domains=dom)
    add("match", "company_name", "company", rel, ("Ilse", "Mol", f"{base} {rng.choice(LOWID)}", "", ""),
        "low-identity word added", domains=dom)
    add("match", "company_name", "company", rel, ("Ilse", "Mol", f"Koninklijke {base}", "", ""),
        "Koninklijke added", domains=dom)
    add("match", "company_name", "company", rel, ("Ilse", "Mol", w, "", ""),
        "trade word left out", domains=dom)
    # >= 8 letters as the key spells it (IJ is one letter there: "Heymans")
    if len(w.lower().replace("ij", "y")) >= 8:
        add("match", "company_name", "company", rel, ("Ilse", "Mol", f"{typo(w)} {t}", "", ""),
            "one inner typo in a long distinctive word", domains=dom)
    add("match", "email_domain", "company", rel, ("Ilse", "Mol", "", f"i.mol@{dom}", ""),
        "mail at the company domain", domains=dom)
    add("match", "email_domain", "company", rel, ("Ilse", "Mol", "Freelance", f"i.mol@mail.{dom}", ""),
        "mail at a subdomain", domains=dom)
    if "ij" in w.lower():
        add("match", "company_name", "company", rel,
            ("Ilse", "Mol", base.replace("ij", "y").replace("IJ", "Y"), "", ""), "ij as y", domains=dom)

for s in SHORT:
    a, b = rng.sample(TRADE, 2)
    rel = f"{s} & Zonen {a} B.V."
    add("match", "company_name", "company", rel, ("Ilse", "Mol", f"{s} en Zonen {a}", "", ""), "& as en")
    add("match", "company_name", "company", rel, ("Ilse", "Mol", f"{s} and Zonen {a}", "", ""), "& as and")
    add("match", "company_name", "company", rel, ("Ilse", "Mol", f"{s} en Zonen", "", ""),
        "short name with its trade words left out")
    add("no_match", "", "company", rel, ("Ilse", "Mol", f"{s} {b}", "", ""),
        "same short name, another trade")

for ac in ACRONYMS:
    rel = f"Koninklijke {ac} N.V."
    add("match", "company_name", "company", rel, ("Ilse", "Mol", ac, "", ""), "acronym exact", aliases=ac)
    add("match", "company_name", "company", rel, ("Ilse", "Mol", ".".join(ac) + ".", "", ""),
        "dotted acronym", aliases=ac)
    add("match", "company_name", "company", rel, ("Ilse", "Mol", f"{ac} {rng.choice(TRADE)}", "", ""),
        "acronym plus a trade word", aliases=ac)
    add("match", "company_name", "company", rel, ("Ilse", "Mol", f"{ac} Nederland B.V.", "", ""),
        "acronym national subsidiary", aliases=ac)
    # negatives: one letter more, one letter changed, acronym as a prefix of a word
    longer = ac + rng.choice("GMXR")
    add("no_match", "", "company", rel, ("Ilse", "Mol", longer, "", ""), "acronym one letter longer",
        aliases=ac)
    changed = ac[:-1] + ("Q" if ac[-1] != "Q" else "X")
    add("no_match", "", "company", rel, ("Ilse", "Mol", changed, "", ""), "acronym one letter apart",
        aliases=ac)
    add("no_match", "", "company", rel, ("Ilse", "Mol", ac.capitalize() + "ram Micro", "", ""),
        "acronym is the prefix of a longer name", aliases=ac)
    add("no_match", "", "company", rel, ("Ilse", "Mol", ac.capitalize() + "elaar Groep", "", ""),
        "acronym is the prefix of a word", aliases=ac)

for w in ["Müller", "Schröder", "Köhler", "Bäcker", "Müssig", "Jürgens"]:
    rel = f"{w} GmbH & Co. KG"
    de = w.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
    plain = w.replace("ü", "u").replace("ö", "o").replace("ä", "a")
    add("match", "company_name", "company", rel, ("Ilse", "Mol", f"{de} GmbH", "", ""),
        "German transliteration")
    add("match", "company_name", "company", rel, ("Ilse", "Mol", plain.upper(), "", ""),
        "diacritics dropped")

# ---- company negatives --------------------------------------------------------
for i, w in enumerate(LONG):
    other = LONG[(i + 7) % len(LONG)]
    t = rng.choice(TRADE)
    rel = f"{w} {t} B.V."
    dom = domain_of(w)
    add("no_match", "", "company", rel, ("Ilse", "Mol", f"{other} {t}", "", ""),
        "only the trade word is shared", domains=dom)
    add("no_match", "", "company", rel, ("Ilse", "Mol", f"{rng.choice(TRADE)} {rng.choice(LOWID)}", "", ""),
        "only trade and low-identity words", domains=dom)
    add("no_match", "", "company", rel, ("Ilse", "Mol", f"Koninklijke {other} Groep", "", ""),
        "another company with low-identity words", domains=dom)
    add("no_match", "", "company", rel, ("Ilse", "Mol", f"{w} {other} Partners", "", ""),
        "relation name is a prefix of a longer name", domains=dom)
    t2 = rng.choice([x for x in TRADE if x != t])
    add("no_match", "", "company", rel, ("Ilse", "Mol", f"{w} {t2}", "", ""),
        "same name, another trade", domains=dom)
    add("no_match", "", "company", rel,
        ("Ilse", "Mol", "", f"{w.lower()}@{rng.choice(FREEMAIL)}", ""), "free-mail address", domains=dom)
    add("no_match", "", "company", rel, ("Ilse", "Mol", "", f"i.mol@{dom}.example.com", ""),
        "company domain as a label of another domain", domains=dom)
    add("no_match", "", "company", rel, ("Ilse", "Mol", "", f"i.mol@not{dom}", ""),
        "company domain as a suffix", domains=dom)
    add("no_match", "", "company", rel, ("Ilse", "Mol", f"{other[:5]}{w[5:]} {t}", "", ""),
        "another name sharing the ending", domains=dom)

# short names: one edit is another company
for a, b in [("Verburg", "Verberg"), ("Jansen", "Janssen"), ("Philips", "Phillips"), ("Bakker", "Bakkers"),
             ("Smits", "Smids"), ("Peters", "Pieters"), ("Dekker", "Decker"), ("Visser", "Vissers"),
             ("Mulder", "Molder"), ("Kramer", "Cramer")]:
    t = rng.choice(TRADE)
    add("no_match", "", "company", f"{a} {t}", ("Ilse", "Mol", f"{b} {t}", "", ""),
        "one edit in a short word is another company")

# ---- person positives ---------------------------------------------------------
def person_case(i):
    first = FIRST[i % len(FIRST)]
    part = PARTICLES[i % len(PARTICLES)]
    sur = SURNAMES[i % len(SURNAMES)]
    emp = f"{LONG[(i * 3) % len(LONG)]} {TRADE[i % len(TRADE)]}"
    return first, part, sur, emp


for i in range(44):
    first, part, sur, emp = person_case(i)
    name = person(first, part, sur)
    full_last = (part + " " if part else "") + sur
    dom = domain_of(emp.split()[0])
    mail = f"{first[0].lower()}.{sur.lower()}@{dom}"
    k = i % 11
    if k == 0:
        add("match", "person_name", "person", name, (first, full_last, emp, "", ""),
            "full name and employer", rcompany=emp)
    elif k == 1:
        add("match", "person_name", "person", name, (first[0] + ".", full_last, f"{emp} B.V.", "", ""),
            "initial with the employer", rcompany=emp)
    elif k == 2:
        add("match", "person_name", "person", name, (first, full_last.upper(), emp.upper(), "", ""),
            "upper case", rcompany=emp)
    elif k == 3:
        add("match", "person_name", "person", f"{sur}, {first} {part}".strip(), (first, full_last, emp, "", ""),
            "sorted order in the catalogue", rcompany=emp)
    elif k == 4:
        add("match", "person_name", "person", name, (first, f"Bakker-{full_last}", emp, "", ""),
            "married double name", rcompany=emp)
    elif k == 5:
        add("match", "email", "person", name, ("", "", "", mail.upper(), ""), "address case differs",
            rcompany=emp, remails=mail)
    elif k == 6:
        slug = (first + part + sur).lower().replace(" ", "").replace("-", "")
        add("match", "profile_url", "person", name,
            (first, sur, "Eigen bedrijf", "", f"https://nl.linkedin.com/in/{slug}/"), "profile URL",
            rcompany=emp, rlinkedin=f"https://www.linkedin.com/in/{slug}")
    elif k == 7:
        add("match", "person_name", "person", name, (first, full_last, "", f"{first.lower()}@{dom}", ""),
            "corroborated by the person's mail domain", rcompany=emp, remails=mail)
    elif k == 8:
        add("match", "person_name", "person", name, (first, sur, emp, "", ""),
            "particles left out", rcompany=emp)
    elif k == 9:
        if len(sur) >= 8:
            add("match", "person_name", "person", name, (first, (part + " " if part else "") + typo(sur), emp, "", ""),
                "surname typo with the employer", rcompany=emp)
        else:
            add("match", "person_name", "person", name, (first, full_last, f"{emp} Nederland", "", ""),
                "employer with a low-identity word", rcompany=emp)
    else:
        add("match", "person_name", "person", name, (first.replace("-", " "), full_last, emp, "", ""),
            "hyphen in the given name", rcompany=emp)

for first, last, rel, note in [("Jurgen", "Mueller", "Jürgen Müller", "German transliteration"),
                               ("Zoe", "de Vries", "Zoë de Vries", "diaeresis"),
                               ("Soren", "Aero", "Søren Ærø", "Nordic letters"),
                               ("Jose", "Ramirez", "José Ramírez", "acute accents"),
                               ("Sjoerd", "Yzerman", "Sjoerd IJzerman", "IJ as Y"),
                               ("Anne", "Hoogendyk", "Anne Hoogendijk", "ij as y"),
                               ("Sjoerd", "v.d. Molen", "Sjoerd van der Molen", "v.d."),
                               ("Annemarie", "Brinkman", "Anne-Marie Brinkman", "given name written together")]:
    add("match", "person_name", "person", rel, (first, last, "Veldhof", "", ""), note, rcompany="Veldhof")

# ---- person negatives ---------------------------------------------------------
for i in range(44):
    first, part, sur, emp = person_case(i)
    name = person(first, part, sur)
    full_last = (part + " " if part else "") + sur
    other_emp = f"{LONG[(i * 3 + 5) % len(LONG)]} {TRADE[(i + 3) % len(TRADE)]}"
    k = i % 11
    if k == 0:
        add("no_match", "", "person", name, (first[0] + ".", full_last, other_emp, "", ""),
            "initial without corroboration", rcompany=emp)
    elif k == 1:
        add("no_match", "", "person", name, (first, full_last, other_emp, "", ""),
            "full name, another employer", rcompany=emp)
    elif k == 2:
        other = FIRST[(i + 5) % len(FIRST)]
        add("no_match", "", "person", name, (other, full_last, emp, "", ""),
            "another first name at the same employer", rcompany=emp)
    elif k == 3:
        add("no_match", "", "person", name, ("", full_last, emp, "", ""), "no given name", rcompany=emp)
    elif k == 4:
        add("no_match", "", "person", name, (first, "", emp, "", ""), "first name only", rcompany=emp)
    elif k == 5:
        add("no_match", "", "person", name,
            (first, full_last, "", f"{first.lower()}.{sur.lower()}@{rng.choice(FREEMAIL)}", ""),
            "free mail does not corroborate", rcompany=emp,
            remails=f"{first[0].lower()}{sur.lower()}@{rng.choice(FREEMAIL)}")
    elif k == 6:
        add("no_match", "", "person", name, (first, sur + "s", emp, "", ""),
            "similar surname, one letter more", rcompany=emp)
    elif k == 7:
        add("no_match", "", "person", name, (first, sur + "aar", emp, "", ""),
            "surname is a prefix of the contact's", rcompany=emp)
    elif k == 8:
        if part:
            bad = "de" if part != "de" else "ter"
            add("no_match", "", "person", name, (first, f"{bad} {sur}", emp, "", ""),
                "different particles", rcompany=emp)
        else:  # particles on one side only agree ("Molen" ~ "van der Molen")
            add("no_match", "", "person", name, (FIRST[(i + 3) % len(FIRST)], f"van {sur}", emp, "", ""),
                "another first name, particles added", rcompany=emp)
    elif k == 9:
        add("no_match", "", "person", name, (first, full_last, "", "", ""),
            "name alone, nothing else", rcompany=emp)
    else:
        add("no_match", "", "person", name, (first[0] + ".", full_last, "", "", ""),
            "initial alone", rcompany=emp)

# ---- hand-written hard negatives and positives ---------------------------------
HAND = [
    ("no_match", "", "company", "ING Groep N.V.", "ING", "ing.nl", "Ingram Micro", "", "ING vs Ingram"),
    ("no_match", "", "company", "ING Groep N.V.", "ING", "ing.nl", "Ingka Holding", "", "ING vs Ingka"),
    ("no_match", "", "company", "Koninklijke KPN N.V.", "KPN", "kpn.com", "KPMG Advisory", "", "KPN vs KPMG"),
    ("no_match", "", "company", "ASML Holding N.V.", "ASML", "asml.com", "ASM International", "", "ASML vs ASM"),
    ("no_match", "", "company", "Koninklijke Philips N.V.", "Philips", "philips.com", "Phillips 66", "", "Phillips 66"),
    ("no_match", "", "company", "Koninklijke Philips N.V.", "Philips", "philips.com", "Philips Van Heusen", "",
     "Philips Van Heusen"),
    ("match", "company_name", "company", "Koninklijke Philips N.V.", "Philips", "philips.com",
     "Philips Nederland B.V.", "", "national subsidiary"),
    ("match", "company_name", "company", "Koninklijke Philips N.V.", "Philips", "philips.com", "Royal Philips", "",
     "Royal is Koninklijke"),
    ("match", "company_name", "company", "ING Groep N.V.", "ING", "ing.nl", "ING Bank", "", "ING plus a trade word"),
    ("no_match", "", "company", "Koninklijke BAM Groep N.V.", "BAM", "bam.com", "Bambi Speelgoed", "", "BAM vs Bambi"),
    ("no_match", "", "company", "Koninklijke BAM Groep N.V.", "BAM", "bam.com", "Koninklijke Jumbo Groep", "",
     "only low-identity words"),
    ("no_match", "", "company", "Transport Nederland B.V.", "", "", "Transport", "", "generic-only name"),
    ("match", "company_name", "company", "Transport Nederland B.V.", "", "", "Transport Nederland", "",
     "generic-only name whole"),
    ("no_match", "", "company", "Holding Bouw B.V.", "", "", "Bouw Holding Nederland", "", "generic words only"),
    ("no_match", "", "company", "Gmail Consultancy", "", "gmail.com", "", "rob@gmail.com", "free-mail in catalogue"),
    ("no_match", "", "company", "ABN AMRO Bank N.V.", "", "abnamro.nl", "AMRO Logistics", "", "one of two words"),
    ("no_match", "", "company", "ABN AMRO Bank N.V.", "", "abnamro.nl", "ABN Logistiek", "", "one of two words"),
    ("match", "company_name", "company", "ABN AMRO Bank N.V.", "", "abnamro.nl", "ABN-AMRO", "", "hyphen"),
    ("match", "company_name", "company", "Coöperatieve Rabobank U.A.", "Rabobank", "rabobank.nl",
     "Rabobank Nederland", "", "cooperative"),
    ("match", "company_name", "company", "Stichting Zorgpunt Oost", "", "", "Zorgpunt Oost", "", "Stichting"),
    ("no_match", "", "company", "Stichting Zorgpunt Oost", "", "", "Stichting Oost", "", "only the compass word"),
    ("no_match", "", "company", "Vanderlande Industries B.V.", "", "", "Vandarlando Industries", "", "two edits"),
    ("no_match", "", "company", "Hoogendijk Installaties B.V.", "", "hoogendijk.nl", "", "rob@hoogendijk.nlx",
     "longer TLD"),
    ("no_match", "", "company", "Hoogendijk Installaties B.V.", "", "hoogendijk.nl", "", "rob@xhoogendijk.nl",
     "glued prefix"),
]
for expect, feat, rtype, rname, aliases, doms, company, email, note in HAND:
    add(expect, feat, rtype, rname, ("Ilse", "Mol", company, email, ""), note, aliases=aliases, domains=doms)

for i, r in enumerate(rows, 1):
    r[0] = f"l{i:03d}"
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(HEADER)
w.writerows(rows)
print(f"{len(rows)} pairs, {sum(r[1] == 'match' for r in rows)} positive", file=sys.stderr)
