import random, json, os, sys
MASK = 2**64 - 1
B = 0x100000001b3
P = 1099511628211
def mix(h):
    h ^= h >> 33; h = h * 0xff51afd7ed558ccd & MASK; h ^= h >> 33; h = h * 0xc4ceb9fe1a85ec53 & MASK
    return h ^ (h >> 33)
def variants(w):
    b = w.encode(); out = [b]
    for i in range(len(b)):
        if i > 0 and b[i] == b[i-1]: continue
        out.append(b[:i] + b[i+1:])
    return out
def new_h(kind, v):
    h = 0x9E3779B97F4A7C15 * (kind + 1) & MASK
    for c in v: h = (h * B + c) & MASK
    return mix(h)
def old_h(kind, v):
    h = ((14695981039346656037 ^ kind) * P) & MASK
    for c in v: h = ((h ^ c) * P) & MASK
    return h
def fp(h):
    f = ((h >> 32) ^ h) & 0xffffffff
    return f or 1
DEL, SUR_DEL = 6, 8
rng = random.Random(5)
L = "bcdfghjklmnpqrstvwxz"
V = "aeiou"
def rword(n):
    return "".join(rng.choice(L) if i % 2 == 0 else rng.choice(V) for i in range(n))
words = set()
while len(words) < 20000:
    words.add(rword(12))
words = sorted(words)
newfp, oldfp = {}, {}
for i, w in enumerate(words):
    for v in variants(w):
        newfp.setdefault(fp(new_h(DEL, v)), i)
        oldfp.setdefault(fp(old_h(DEL, v)), i)
tries = 0
while True:
    tries += 1
    s = rword(9)
    vs = variants(s)
    hit = [newfp[fp(new_h(SUR_DEL, v))] for v in vs if fp(new_hashes := new_h(SUR_DEL, v)) in newfp]
    if hit and not any(fp(old_h(SUR_DEL, v)) in oldfp for v in vs) and s not in words:
        break
print("surname", s, "collides with relation word", words[hit[0]], "after", tries, file=sys.stderr)
out = sys.argv[1]
os.makedirs(out + "/relations", exist_ok=True); os.makedirs(out + "/staff.d", exist_ok=True)
rels = [{"id": "Z%03d" % i, "type": "company", "name": "Zyxwv BV"} for i in range(256)]
rels += [{"id": "W%05d" % i, "type": "company", "name": w.capitalize() + " BV"} for i, w in enumerate(words)]
json.dump({"relations": rels}, open(out + "/relations/r.json", "w"), indent=1)
open(out + "/contactwatch.conf", "w").write("[daemon]\nStateDirectory=state\nStaffDirectory=staff.d\nRelationsDirectory=relations\n[channel:journal]\nType=journal\n")
open(out + "/staff.d/B1.conf", "w").write("[employee]\nId=B1\nName=Bench Mark\nDepartureDate=2026-06-30\n[clause]\nDuration=12months\nRelations=r.json\n")
open(out + "/c.csv", "w").write("Record ID,First Name,Last Name,Email,Company Name,Associated Company,Job Title,Create Date\n"
    "1,Anna,%s,,Zyxwv,,Job,2026-07-10\n" % s.capitalize())
