import random, sys, os, json
rng = random.Random(int(sys.argv[1]))
MILD = len(sys.argv) > 4
outdir = sys.argv[2]; count = int(sys.argv[3])
STR_PIECES = ["a", "B", " ", "ü", "\u00e9", "\\u00fc", "\\u0000", "\\u0001", "\\n", "\\t", "\\\"", "\\\\", "\\/",
              "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\ud83d\\u0041", "\\uD83D\\uDE00", "\\u12", "\\x", "\\'", "\x01", "\x7f",
              "\udcff", "\udcc0\udc80", "\udced\udca0\udc80", "\udcf4\udc90\udc80\udc80", "\u2028", "\\u2028", ",", ":", "{", "}", "[", "]", "\\b\\f\\r",
              "gmail.com", "@x.nl", "Mail.Example", "e@x.nl", "https://linkedin.com/in/x", "\\u0020"]
def rstr(n=None):
    n = rng.randint(0, 5) if n is None else n
    if MILD and rng.random() < 0.97:
        good = ["a", "B", " ", "\u00fc", "\u00e9", "\\u00fc", "\\n", "\\t", '\\"', "\\\\", "\\/", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\u2028", "\u2028", "\\u0065@x.nl", "e@x.nl", ",", ":", "{", "]", "\\b\\f\\r", "\x7f", "\\u0020", "\U0001F600"]
        return '"' + "".join(rng.choice(good) for _ in range(n)) + 'x"'
    return '"' + "".join(rng.choice(STR_PIECES) for _ in range(n)) + '"'
KEYS = ["id", "type", "name", "aliases", "domains", "company", "emails", "linkedin", "Id", "nam\\u0065", "x", "", "i\\u0064"]
def value(key, depth=0):
    k = rng.random()
    lists = key in ("aliases", "domains", "emails")
    if key == "type" and k < 0.8: return rng.choice(['"company"', '"person"', '"Company"', '"other"', '"comp\\u0061ny"'])
    if key in ("id", "i\\u0064") and k < 0.8: return '"R%d"' % rng.randint(0, 30)
    if lists and k < 0.6:
        return "[" + rng.choice([", ", ",", " ,\n "]).join(rstr() for _ in range(rng.randint(0, 4))) + rng.choice(["", " ", "\n"]) + "]"
    if MILD and k < 0.97: return rstr() if not lists else "[" + ",".join(rstr() for _ in range(rng.randint(0, 3))) + "]"
    if k < 0.7: return rstr()
    if k < 0.75: return "null"
    if k < 0.78: return rng.choice(["nul", "nullx", "NULL", "null "])
    if k < 0.82: return rng.choice(["1", "-0", "1e5", "true", "false", "0.5"])
    if k < 0.86: return "[" + ",".join(rng.choice([rstr(), "1", "null", "[]", "{}"]) for _ in range(rng.randint(0, 3))) + "]"
    if k < 0.9 and depth < 3: return obj(depth + 1)
    if k < 0.92: return "[" * 40 + "]" * 40
    return rstr(rng.randint(0, 30))
def obj(depth=0):
    n = rng.randint(0, 9)
    keys = [rng.choice(KEYS) for _ in range(n)]
    if MILD and depth == 0: keys = [k for k in keys if k in ('aliases','domains','company','emails','linkedin')]
    if depth == 0 and rng.random() < 0.8:
        keys = ["id", "type", "name"] + [k for k in keys if rng.random() < 0.5]
        rng.shuffle(keys)
    ws = lambda: rng.choice(["", "", " ", "\n", "\t", "\r\n", "  "])
    return "{" + ws() + ("," + ws()).join('"%s"%s:%s%s' % (k, ws(), ws(), value(k, depth)) for k in keys) + ws() + "}"
def doc():
    els = []
    for _ in range(rng.randint(0, 12)):
        if rng.random() < (0.995 if MILD else 0.9): els.append(obj())
        else: els.append(rng.choice(["1", "null", '"x"', "[]", "{}", "tru", "{", "}"]))
    sep = lambda: rng.choice([",", ", ", ",\n  ", " ,", ",,", "", "\n,"]) if rng.random() < (0.01 if MILD else 0.1) else rng.choice([",", ",\n", ", "])
    body = els[0] if els else ""
    for e in els[1:]:
        body += sep() + e
    arr = "[" + rng.choice(["", "\n", " "]) + body + rng.choice(["", "\n", " "]) + "]"
    k = rng.random() * (0.8 if MILD else 1)
    if k < 0.6: d = '{"relations": ' + arr + "}"
    elif k < 0.8: d = arr
    elif k < 0.85: d = '{"relations": ' + arr + ', "x": 1}'
    elif k < 0.88: d = '{"relations": ' + arr + ', "relations": []}'
    elif k < 0.9: d = '{"x": [' + body + '], "relations": ' + arr + "}"
    else: d = '{"relations": ' + arr + "}" + rng.choice(["", "\n", " x", "}", "]", "\x00"])
    return d
for i in range(count):
    with open(os.path.join(outdir, "c%05d.json" % i), "wb") as f:
        f.write(doc().encode("utf-8", "surrogateescape"))
