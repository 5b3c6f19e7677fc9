#!/usr/bin/env python3
"""Cut the demo register subset out of the full re-laid register sample.

Keeps the organisations that the demo meetings name: by register ID anywhere in the Commission
or EP files, or by exact (case-folded) name in the EP attendee lists. Needs ../shared (the
developers' data folder); users never run this.

    python3 tools/make_demo_register_subset.py
"""
import csv, gzip, re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ID = re.compile(r"\b\d{8,12}-\d{2}\b")

ids = set()
ec = SHARED / "realdata/ec_meetings/meetingscommissionrepresentatives1924_generated-2023-06-13.CONVERTED.csv"
for r in csv.DictReader(ec.open(encoding="utf-8")):
    ids.update(ID.findall(r["Transparency register ID"]))
names = set()
ep = SHARED / "samples/ep_meetings/search-meetings_2019-06_2022-02_relaid.csv"
for r in csv.DictReader(ep.open(encoding="utf-8")):
    ids.update(ID.findall(r["lobbyist_id"] + " " + r["attendees"]))
    names.update(p.strip().lower() for p in re.split(r"[|;,]", r["attendees"]) if p.strip())

text = gzip.open(SHARED / "samples/transparency_register/ODP_2018-10_relaid.xml.gz", "rt", encoding="utf-8").read()
keep = []
for e in re.findall(r"<interestRepresentative>.*?</interestRepresentative>", text, re.S):
    rid = re.search(r"<identificationCode>(.*?)</identificationCode>", e).group(1)
    m = re.search(r"<originalName>(.*?)</originalName>", e, re.S)
    name = m.group(1).strip().lower() if m else ""
    if rid in ids or name in names or re.sub(r"\s*\([^)]*\)\s*$", "", name) in names:
        keep.append(e)
start = text.index("<interestRepresentative>")
end = text.rindex("</interestRepresentative>") + len("</interestRepresentative>")
head = re.sub(r"<numberOfIR>\d+</numberOfIR>", f"<numberOfIR>{len(keep)}</numberOfIR>", text[:start])
out = ROOT / "demo/transparency_register/ODP_2018-10_relaid_demo-subset.xml.gz"
out.parent.mkdir(parents=True, exist_ok=True)
with gzip.open(out, "wt", encoding="utf-8") as f:
    f.write(head + "\n".join(keep) + text[end:])
print(f"{out.relative_to(ROOT)}: {len(keep)} organisations")
