import json, sys, collections
AG = {"greeting", "agent_name", "company_name", "offer_help", "recording_notice", "verify_identity", "hear", "empathize",
      "apologize", "take_action", "closing", "disclosure_before_verification", "card_details_spoken"}
CU = {"complaint", "card_details_spoken"}
errs = []; ids = []; texts = collections.Counter()
for i, line in enumerate(open(sys.argv[1]), 1):
    try:
        o = json.loads(line)
    except Exception as e:
        errs.append(f"line {i}: bad json {e}"); continue
    ids.append(o["id"])
    for k in ("id", "speaker", "context", "text", "labels", "industry", "style"):
        if k not in o: errs.append(f"{o.get('id')}: missing {k}")
    if o["speaker"] not in ("agent", "customer"): errs.append(f"{o['id']}: speaker")
    allowed = AG if o["speaker"] == "agent" else CU
    bad = set(o["labels"]) - allowed
    if bad: errs.append(f"{o['id']}: label(s) {bad} not allowed on {o['speaker']} turn")
    if "disclosure_before_verification" in o["labels"]: errs.append(f"{o['id']}: disclosure label should be the discloses_account_data field")
    if o["speaker"] == "agent" and not isinstance(o.get("discloses_account_data"), bool): errs.append(f"{o['id']}: discloses_account_data missing")
    if o["speaker"] == "customer" and "discloses_account_data" in o: errs.append(f"{o['id']}: discloses on customer")
    if o["style"] not in ("clean", "asr"): errs.append(f"{o['id']}: style")
    if not o["text"].strip(): errs.append(f"{o['id']}: empty text")
    texts[(o["speaker"], o["text"].lower())] += 1
exp = [f"u-{i:05d}" for i in range(1, len(ids) + 1)]
if ids != exp: errs.append("ids not sequential")
d = [k for k, v in texts.items() if v > 1]
if d: errs.append(f"{len(d)} exact duplicate texts")
print(len(ids), "rows;", len(errs), "errors"); print("\n".join(errs[:20]))
sys.exit(1 if errs else 0)
