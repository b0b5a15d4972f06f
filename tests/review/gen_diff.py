#!/usr/bin/python3
"""Adversarial differential inputs: gen.py OUT SEED NREL NROWS [json|csv]"""
import json, os, random, sys, csv

out, seed, n_rel, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fmt = sys.argv[5] if len(sys.argv) > 5 else "json"
rng = random.Random(seed)
SYL = ["ver", "hoe", "gen", "dijk", "berg", "ij", "mül", "gröss", "kamp", "aa", "laar", "hof", "ee",
       "sma", "ink", "an", "na", "bos", "zand", "wijk", "dam", "ä", "ö", "ü", "ß", "e", "x", "q", "oo"]
TRADE = ["Bouw", "Transport", "Logistiek", "Techniek", "Groep", "Holding", "Services", "Data", "Media",
         "the", "and", "en", "van", "de", "Koninklijke", "International", "Nederland", "AG", "Co", "T"]
FORMS = ["B.V.", "BV", "N.V.", "GmbH", "Ltd", "Stichting", "Vereniging", "SA", "AG", "", "", "Inc."]
FREE = ["gmail.com", "hotmail.com", "ziggo.nl"]
FIRST = ["Jan", "Piet", "Anna", "Eva", "Zoë", "Jürgen", "J.", "A.B.", "Hélène", "Ij", "Mary-Ann"]
PART = ["", "", "van", "de", "van der", "ten"]

def word(n=None):
    n = n or rng.choice([1, 1, 2, 2, 3, 3, 4, 5])
    w = "".join(rng.choice(SYL) for _ in range(n))
    if rng.random() < 0.02:
        w = w * rng.randint(4, 12)  # long words, > 63 bytes sometimes
    return w.capitalize()

def typo(s):
    if len(s) < 2:
        return s
    i = rng.randrange(len(s))
    op = rng.randrange(5)
    if op == 0: return s[:i] + s[i+1:]
    if op == 1: return s[:i] + rng.choice("aeioutrs") + s[i:]
    if op == 2: return s[:i] + rng.choice("aeioutrs") + s[i+1:]
    if op == 3 and i + 1 < len(s): return s[:i] + s[i+1] + s[i] + s[i+2:]
    return s.upper() if rng.random() < .5 else s.replace("ü", "ue").replace("ö", "oe")

def company():
    parts = []
    if rng.random() < 0.1: parts.append(rng.choice(FORMS))
    parts += [word() for _ in range(rng.choice([1, 1, 1, 2, 3]))]
    if rng.random() < 0.4: parts.append(rng.choice(TRADE))
    if rng.random() < 0.6: parts.append(rng.choice(FORMS))
    if rng.random() < 0.03: parts = [rng.choice(TRADE), rng.choice(FORMS)]
    if rng.random() < 0.02: parts = [rng.choice(FORMS)]
    return " ".join(p for p in parts if p) or "Tech"

def person():
    sur = word()
    if rng.random() < 0.1: sur = sur + "-" + rng.choice(PART[1:]) + " " + word()
    return f"{rng.choice(FIRST)} {rng.choice(PART)} {sur}".replace("  ", " ")

rels = []
for i in range(n_rel):
    r = {"id": f"R{i}"}
    if rng.random() < 0.7:
        r["type"] = "company"; r["name"] = company()
        if rng.random() < 0.3: r["aliases"] = [company() for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.1: r["aliases"] = r.get("aliases", []) + [r["name"]]
        if rng.random() < 0.5:
            d = [word(2).lower() + ".nl"]
            if rng.random() < 0.2: d.append(rng.choice(FREE))
            if rng.random() < 0.2: d.append("Mail." + d[0].upper())
            r["domains"] = d
        if rng.random() < 0.1: r["linkedin"] = "https://www.linkedin.com/company/" + word(2).lower()
    else:
        r["type"] = "person"; r["name"] = person()
        if rng.random() < 0.2: r["aliases"] = [person()]
        if rng.random() < 0.5: r["company"] = company()
        if rng.random() < 0.3: r["emails"] = [word(1).lower() + f"{i}@" + rng.choice([word(2).lower() + ".nl"] + FREE)]
        if rng.random() < 0.1: r["linkedin"] = "https://nl.linkedin.com/in/" + word(2).lower() + str(i)
    rels.append(r)

os.makedirs(os.path.join(out, "relations"), exist_ok=True)
os.makedirs(os.path.join(out, "staff.d"), exist_ok=True)
if fmt == "json":
    with open(os.path.join(out, "relations", "r.json"), "w") as f:
        json.dump({"relations": rels}, f, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1, 2]))
    relfile = "r.json"
else:
    relfile = "r.csv"
    with open(os.path.join(out, "relations", relfile), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "type", "name", "aliases", "domains", "company", "emails", "linkedin"])
        for r in rels:
            w.writerow([r["id"], r["type"], r["name"], "|".join(r.get("aliases", [])), "|".join(r.get("domains", [])),
                        r.get("company", ""), "|".join(r.get("emails", [])), r.get("linkedin", "")])
with open(os.path.join(out, "contactwatch.conf"), "w") as f:
    f.write("[daemon]\nStateDirectory=state\nStaffDirectory=staff.d\nRelationsDirectory=relations\n"
            "[channel:journal]\nType=journal\n")
with open(os.path.join(out, "staff.d", "B1.conf"), "w") as f:
    f.write("[employee]\nId=B1\nName=Bench Mark\nDepartureDate=2026-06-30\n"
            f"[clause]\nDuration=12months\nRelations={relfile}\n")
with open(os.path.join(out, "c.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Record ID", "First Name", "Last Name", "Email", "Company Name", "Associated Company", "Job Title", "Create Date"])
    for i in range(rows):
        r = rng.choice(rels)
        first, last, email, comp = rng.choice(FIRST), word(), "", company()
        x = rng.random()
        if r["type"] == "company":
            if x < 0.5:
                comp = r["name"] if rng.random() < .5 else rng.choice(r.get("aliases", [r["name"]]))
                if rng.random() < 0.5: comp = " ".join(typo(t) if rng.random() < .4 else t for t in comp.split())
            elif x < 0.6 and r.get("domains"):
                email = f"x{i}@" + rng.choice(["", "mail.", "a.b."]) + r["domains"][0]
        else:
            nm = r["name"].split(" ")
            if x < 0.6:
                first, last = nm[0], " ".join(nm[1:])
                if rng.random() < 0.4: last = typo(last)
                if rng.random() < 0.5 and r.get("company"): comp = r["company"]
            if x < 0.3 and r.get("emails"):
                email = rng.choice([r["emails"][0], "<mailto:" + r["emails"][0] + ">", r["emails"][0].upper(), " " + r["emails"][0] + ". "])
        if rng.random() < 0.05: email = rng.choice(['"a b"@x.nl', "a@b@c.nl", "@x.nl", "a,b@x.nl", "x@", "<x@y.nl>", "mailto:a@b.nl"])
        if rng.random() < 0.02: comp = 'He said "hi",\nthen left'
        w.writerow([100000 + i, first, last, email, comp, "", "Job", "2026-07-1%d" % rng.randint(0, 9)])
