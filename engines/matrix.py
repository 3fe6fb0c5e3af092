#!/usr/bin/env python3
"""Writes the conformance matrix (docs/conformance.md, between the matrix markers) from the results
engines/matrix.sh collected in OUT: per adapter, <tag>.verify.json (perpcheck verify -json),
<tag>.vectors.txt (perpcheck vectors check -v), <tag>.stats/ (adapter position counts) and, for drift,
drift.sweep.txt. Only deterministic content is written (no times, no paths of OUT), so the same seed
and budget give the same file.

    python3 engines/matrix.py OUT docs/conformance.md
"""
import glob
import json
import os
import re
import sys

BEGIN, END = "<!-- matrix:begin (engines/matrix.sh writes this part) -->", "<!-- matrix:end -->"
AREA_ORDER = ["EVAL", "NUM", "MKT", "POS", "QTY", "TIER", "MARK", "LIQ", "BKR", "POOL", "RPT", "PM", "VAR",
              "LED", "TRD", "FND", "LQ", "ADL", "PROF"]


def area(pid):
    return re.match(r"[A-Z]+", pid).group(0)


def order(a):
    return (AREA_ORDER.index(a) if a in AREA_ORDER else len(AREA_ORDER), a)


def props(path):
    d = json.load(open(path))
    cells = {}
    fails = []
    for p in d["properties"]:
        a = area(p["id"])
        c = cells.setdefault(a, {"PASS": 0, "FAIL": 0, "NOT RUN": 0})
        st = {"PASS": "PASS", "FAIL": "FAIL"}.get(p["status"], "NOT RUN")
        c[st] += 1
        if st == "FAIL":
            fails.append(p["id"])
    return d, cells, fails


def vectors(path):
    cells = {}
    fails = []
    for line in open(path):
        m = re.match(r"\s+(query|ledger)/([A-Z]+)/(\S+)\.json\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", line)
        if m:
            c = cells.setdefault(m.group(2), [0, 0, 0])
            for k in range(3):
                c[k] += int(m.group(5 + k))
        m = re.match(r"FAIL (\S+) tcId (\d+)", line)
        if m:
            fails.append(f"{m.group(1)}#{m.group(2)}")
    return cells, fails


def cell_p(c):
    if c is None:
        return "—"
    if c["FAIL"]:
        return f"**fails** {c['FAIL']}/{c['PASS'] + c['FAIL']}" + (f", {c['NOT RUN']} not run" if c["NOT RUN"] else "")
    if c["PASS"]:
        return f"pass {c['PASS']}" + (f", {c['NOT RUN']} not run" if c["NOT RUN"] else "")
    return "not run"


def cell_v(c):
    if c is None:
        return "—"
    p, f, s = c
    if f:
        return f"**fails** {f}/{p + f}" + (f", {s} skip" if s else "")
    if p:
        return f"pass {p}" + (f", {s} skip" if s else "")
    return f"skip {s}"


def main():
    out, doc = sys.argv[1], sys.argv[2]
    tags = sorted(os.path.basename(p)[:-len(".verify.json")] for p in glob.glob(os.path.join(out, "*.verify.json")))
    rows = {}
    for t in tags:
        d, pc, pf = props(os.path.join(out, t + ".verify.json"))
        vc, vf = vectors(os.path.join(out, t + ".vectors.txt"))
        eng = frame = 0
        for s in glob.glob(os.path.join(out, t + ".stats", "*.stats")):
            e, f = open(s).read().split()
            eng, frame = eng + int(e), frame + int(f)
        rows[t] = (d, pc, pf, vc, vf, eng, frame)
    pareas = sorted({a for r in rows.values() for a in r[1]}, key=order)
    vareas = sorted({a for r in rows.values() for a in r[3]}, key=order)
    L = [BEGIN, ""]
    any_d = next(iter(rows.values()))[0] if rows else {"seed": "-", "checks": "-"}
    L.append(f"Properties: `perpcheck verify -seed {any_d['seed']} -checks {any_d['checks']} -mutants=false` per adapter "
             "(property counts by SPEC area; PASS counts only the engine's own fields; the last column: of the "
             "positions in the valid vectors, how many the engine computed rather than kept as the SPEC frame).")
    L.append("")
    L.append("| adapter | " + " | ".join(pareas) + " | vector positions the engine computed |")
    L.append("|---|" + "---|" * len(pareas) + "---|")
    for t, (d, pc, pf, vc, vf, eng, frame) in rows.items():
        share = f"{eng} of {eng + frame}" if eng + frame else "none evaluated"
        L.append(f"| {t} | " + " | ".join(cell_p(pc.get(a)) for a in pareas) + f" | {share} |")
    L.append("")
    L.append("Vectors: `perpcheck vectors check vectors/v1` (tests by area of the file: pass/fail/skip; "
             "RPT includes `query/RPT/engine-findings.json`).")
    L.append("")
    L.append("| adapter | " + " | ".join(vareas) + " |")
    L.append("|---|" + "---|" * len(vareas))
    for t, (d, pc, pf, vc, vf, eng, frame) in rows.items():
        L.append(f"| {t} | " + " | ".join(cell_v(vc.get(a)) for a in vareas) + " |")
    L.append("")
    for t, (d, pc, pf, vc, vf, eng, frame) in rows.items():
        L.append(f"- **{t}** failing properties: {', '.join(pf) or 'none'}; failing vectors ({len(vf)}): "
                 + (", ".join(f"`{v}`" for v in vf[:12]) + (f", and {len(vf) - 12} more" if len(vf) > 12 else "") if vf else "none"))
    sweep = os.path.join(out, "drift.sweep.txt")
    if os.path.exists(sweep):
        L.append("")
        L.append("driftpy inside its model (`engines/drift/sweep.py 200 1`; scenarios elided):")
        L.append("")
        L.append("```")
        for line in open(sweep):
            L.append(re.sub(r" in \{.*$", "", line.rstrip("\n")))
        L.append("```")
    L.append("")
    L.append(END)
    text = open(doc).read()
    if BEGIN in text and END in text:
        a, b = text.index(BEGIN), text.index(END) + len(END)
        text = text[:a] + "\n".join(L) + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(L) + "\n"
    open(doc, "w").write(text)


if __name__ == "__main__":
    main()
