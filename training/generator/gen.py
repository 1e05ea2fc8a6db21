"""Build training/utterances.jsonl from templates + hand-written utterances."""
import json, os, random, re, sys
from collections import Counter
from slots import IND
import templates as T
from asr import to_asr
from hand import HAND

SEED = 20260315
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "utterances.jsonl")
AGENT_LABELS = {"greeting", "agent_name", "company_name", "offer_help", "recording_notice", "verify_identity", "hear", "empathize",
                "apologize", "take_action", "closing", "disclosure_before_verification", "card_details_spoken"}
CUST_LABELS = {"complaint", "card_details_spoken"}

# family -> number of draws (before de-duplication)
PLAN = {T.complaint_pos: 330, T.complaint_generic: 60, T.complaint_neg: 150, T.complaint_neg2: 200,
        T.hear_pos: 290, T.hear_neg: 150, T.hear_neg2: 200, T.emp_pos: 230, T.emp_neg: 60, T.emp_neg2: 120,
        T.apo_pos: 220, T.apo_neg: 90, T.apo_neg2: 200, T.combo: 160,
        T.act_pos: 290, T.act_neg: 100, T.act_neg2: 360, T.ver_pos: 220, T.ver_neg: 40, T.ver_neg2: 80,
        T.disc_pos: 160, T.disc_neg: 140, T.disc_neg2: 130, T.opening: 100, T.closing_pos: 50, T.closing_pos2: 60, T.complaint_neg3: 260, T.ver_neg3: 120, T.emp_neg3: 120, T.apo_neg3: 200, T.closing_neg: 25, T.offer_neg: 20}


def parse_hand():
    out = []
    for ln in HAND.strip().splitlines():
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        parts = ln.split("|")
        while len(parts) < 6:
            parts.append("")
        sp, labs, text, ctx, ind, note = [p.strip() for p in parts[:6]]
        disc = sp.endswith("+")
        sp = {"a": "agent", "c": "customer"}[sp.rstrip("+")]
        labels = [l for l in labs.split(",") if l]
        out.append(dict(speaker=sp, labels=sorted(labels), text=text, context=ctx, disc=disc, note=note,
                        industry=ind or "general", hand=True))
    return out


FILL = {"um", "uh", "er", "erm", "like", "you", "know", "so", "yeah", "right", "ok", "okay", "well", "oh"}


def norm(t):
    """Key for de-duplication: ignores case, punctuation, apostrophes, fillers and repeated words."""
    w = re.sub(r"[^\w\s]", "", t.lower().replace("'", "")).split()
    w = [x for x in w if x not in FILL]
    out = []
    for x in w:
        if not out or out[-1] != x:
            out.append(x)
    return " ".join(out)


def is_asr_text(t):
    return t == t.lower() and not re.search(r"[.,?!£]", t)


def main():
    r = random.Random(SEED)
    names = sorted(IND)
    recs = []
    for fam, n in PLAN.items():
        for _ in range(n):
            ind = r.choice(names)
            D = dict(IND[ind], name=ind)
            rec = fam(D, r)
            rec["industry"] = ind
            rec["hand"] = False
            rec["family"] = fam.__name__
            recs.append(rec)
    hand = parse_hand()
    recs = hand + recs  # hand-written lines win de-duplication
    for rec in recs:
        if is_asr_text(rec["text"]):
            rec["style"] = "asr"
            if rec["context"] and not is_asr_text(rec["context"]):
                rec["context"] = to_asr(rec["context"], r)
        elif r.random() < (0.34 if rec["hand"] else 0.40):
            rec["style"] = "asr"
            rec["text"] = to_asr(rec["text"], r)
            if rec["context"]:
                rec["context"] = to_asr(rec["context"], r)
        else:
            rec["style"] = "clean"
    # de-duplicate on (speaker, normalised text); drop texts seen with conflicting labels
    seen = {}
    conflicts = set()
    for rec in recs:
        key = (rec["speaker"], norm(rec["text"]))
        if key in seen:
            if seen[key]["labels"] != rec["labels"]:
                conflicts.add(key)
            continue
        seen[key] = rec
    final = [v for k, v in seen.items() if k not in conflicts]
    if conflicts:
        print("conflicting labels dropped:", len(conflicts), list(conflicts)[:10], file=sys.stderr)
    r.shuffle(final)
    with open(OUT, "w") as f:
        for i, rec in enumerate(final, 1):
            o = {"id": f"u-{i:05d}", "speaker": rec["speaker"], "context": rec["context"], "text": rec["text"],
                 "labels": rec["labels"], "industry": rec["industry"], "style": rec["style"],
                 "source": "hand" if rec["hand"] else "template"}
            if rec["speaker"] == "agent":
                o["discloses_account_data"] = bool(rec["disc"])
            if rec["note"]:
                o["note"] = rec["note"]
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    print("written", len(final), "hand", sum(x["hand"] for x in final))
    from collections import Counter
    print(sorted(Counter(x.get("family", "hand") for x in final).items()))


if __name__ == "__main__":
    main()
