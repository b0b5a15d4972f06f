import random, re, sys
rng = random.Random(int(sys.argv[1]))
src = open('/work/review/daemon/names.c', encoding='utf-8').read()
table = re.findall(r'W\("([a-z]+)"', src) + ["cooperatie", "cooperatieve", "eenmanszaak", "stichting", "vereniging"]
alpha = list("abcdefghijklmnopqrstuvwxyz") + ["ij", "ü", "ö", "ä", "ß", "é", "IJ", "Ĳ", " ", "-", ".", "&", "'", "\t", "\u00a0", "\x7f", "\xff"]
out = []
for w in table:
    out += [w, w.upper(), w[:-1], w + "s", w[:4], w[:3] + "z", "a" + w, w[:-1] + chr(ord(w[-1]) + 1), w[:-1] + chr(ord(w[-1]) - 1)]
    out.append(w + " " + rng.choice(table))
    out.append(rng.choice(table) + " " + w + " " + rng.choice(table))
for _ in range(40000):
    k = rng.random()
    if k < 0.4:
        s = " ".join(rng.choice(table + ["".join(rng.choice(alpha) for _ in range(rng.randint(1, 9)))]) for _ in range(rng.randint(1, 6)))
    elif k < 0.6:
        s = "".join(rng.choice(alpha) for _ in range(rng.randint(0, 30)))
    elif k < 0.7:
        s = "".join(rng.choice(alpha) for _ in range(rng.randint(60, 300)))
    else:
        loc = "".join(rng.choice(list("abcXYZ.+_-\"<>,;()[]\\ @:") + ["ü"]) for _ in range(rng.randint(0, 8)))
        dom = "".join(rng.choice(list("abc.-XYZ@") + ["ü"]) for _ in range(rng.randint(0, 10)))
        s = rng.choice(["", " ", "mailto:", "MAILTO:", "<", "<mailto:", "Mailto:"]) + loc + "@" + dom + rng.choice(["", ">", ".", ". ", " >"])
    out.append(s)
out.append(" ".join(["bv"] * 40 + ["foo"] + ["stichting"] * 40))
out.append(" ".join(["stichting"] * 40 + ["foo"] + ["gmbh"] * 40))
out.append(" ".join(["foo%d" % i for i in range(100)]))
sys.stdout.write("\n".join(o.replace("\n", " ") for o in out) + "\n")
