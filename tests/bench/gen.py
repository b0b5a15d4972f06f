#!/usr/bin/python3
"""Deterministic benchmark inputs (nothing committed): a HubSpot-style CSV of
N contacts (~80 bytes a row) and a catalogue of R relations (80 % companies,
20 % persons), plus a staff tree for `contactwatchctl check`.

usage: gen.py OUTDIR ROWS RELATIONS

About 1 row in 2,000 is made to match a relation (by company, e-mail domain or
person), so the matcher does real work; the rest share trade words, first
names and free-mail domains with the catalogue, which is what makes blocking
and scoring hard."""
import json
import os
import random
import sys

FIRST = ["Jan", "Piet", "Kees", "Anna", "Sanne", "Eva", "Lotte", "Daan", "Bram", "Sem", "Lucas", "Emma",
         "Julia", "Tess", "Mila", "Noah", "Finn", "Levi", "Sophie", "Zoë", "Hélène", "Jürgen", "Søren"]
LAST = ["de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
        "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit",
        "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "Müller"]
TRADE = ["Bouw", "Transport", "Logistiek", "Installaties", "Techniek", "Advies", "Zorg", "Groep",
         "Holding", "Services", "Consultancy", "Software", "Data", "Media", "Energie", "Vastgoed"]
FORMS = ["B.V.", "BV", "N.V.", "Holding B.V.", "Groep", "", "", "GmbH", "Ltd"]
FREE = ["gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "live.nl"]
# Distinctive words: four of these 40 syllables (2.56 million words), so that
# unrelated companies rarely share one, as in real life; planted matches do.
SYL = ["ver", "hoe", "gen", "dijk", "berg", "stein", "wold", "kamp", "ter", "laar", "horst", "veld",
       "mark", "brink", "loo", "hof", "sma", "ink", "enga", "stra", "huis", "man", "rode", "bos",
       "zand", "weg", "wijk", "dam", "meer", "rijn", "broek", "haar", "lin", "gaard", "mond", "kes",
       "vel", "tra", "nij", "ool"]


def ascii_name(s):
    """Mail local parts are ASCII here: "Zoë" -> "zoe"."""
    import unicodedata
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


def word(rng, n=4):
    return "".join(rng.choice(SYL) for _ in range(n)).capitalize()


def company_name(rng):
    return f"{word(rng)} {rng.choice(TRADE)} {rng.choice(FORMS)}".strip()


def main():
    out, rows, n_rel = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(20261122)
    os.makedirs(os.path.join(out, "relations"), exist_ok=True)
    os.makedirs(os.path.join(out, "staff.d"), exist_ok=True)
    rels, companies = [], []
    n_comp = n_rel * 8 // 10
    for i in range(n_rel):
        if i < n_comp:
            name = company_name(rng)
            base = name.split()[0].lower()
            dom = f"{base}{i}.nl"
            companies.append((name, dom))
            rels.append({"id": f"C{i:06d}", "type": "company", "name": name, "domains": [dom]})
        else:
            comp = companies[rng.randrange(len(companies))][0]
            rels.append({"id": f"P{i:06d}", "type": "person",
                         "name": f"{rng.choice(FIRST)} {word(rng)}{rng.choice(['', 'man', 'sma'])}",
                         "company": comp})
    with open(os.path.join(out, "relations", "bench.json"), "w") as f:
        json.dump({"relations": rels}, f)
    with open(os.path.join(out, "contactwatch.conf"), "w") as f:
        f.write("[daemon]\nStateDirectory=state\nStaffDirectory=staff.d\nRelationsDirectory=relations\n"
                "[channel:journal]\nType=journal\n")
    with open(os.path.join(out, "staff.d", "B1.conf"), "w") as f:
        f.write("[employee]\nId=B1\nName=Bench Mark\nDepartureDate=2026-06-30\n"
                "[clause]\nDuration=12months\nRelations=bench.json\n")
    with open(os.path.join(out, "hubspot.csv"), "w", newline="") as f:
        f.write("Record ID,First Name,Last Name,Email,Company Name,Associated Company,Job Title,Create Date\n")
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            r = rng.random()
            if r < 0.0002:  # works at a restricted company, by name
                comp, dom = companies[rng.randrange(len(companies))]
                email = f"{ascii_name(first)}.{i}@{rng.choice(FREE)}"
            elif r < 0.0004:  # mail at a restricted company's domain
                comp, dom = company_name(rng), companies[rng.randrange(len(companies))][1]
                email = f"{ascii_name(first)[0]}.{i}@{dom}"
            else:
                comp = company_name(rng)
                email = f"{ascii_name(first)}{i}@{rng.choice(FREE)}" if rng.random() < 0.5 else ""
            comp_cell = f'"{comp}"' if "," in comp else comp
            f.write(f"{100000 + i},{first},{last},{email},{comp_cell},,Medewerker,2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}\n")


if __name__ == "__main__":
    main()
