import json, collections, os
rows=[json.loads(l) for l in open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'utterances.jsonl'))]
print(len(rows), collections.Counter(r['style'] for r in rows), collections.Counter(r['source'] for r in rows), collections.Counter(r['speaker'] for r in rows))
L=['complaint','hear','empathize','apologize','take_action','verify_identity','offer_help','closing','greeting','agent_name','company_name','recording_notice']
for l in L:
    sp='customer' if l=='complaint' else 'agent'
    pos=[r for r in rows if l in r['labels']]; neg=[r for r in rows if r['speaker']==sp and l not in r['labels']]
    print(f"{l:18s} pos {len(pos):4d} (asr {sum(r['style']=='asr' for r in pos)})  neg {len(neg)}")
d=[r for r in rows if r.get('discloses_account_data')]
print('discloses', len(d), 'agent not', sum(1 for r in rows if r['speaker']=='agent' and not r.get('discloses_account_data')))
print('industries', len(collections.Counter(r['industry'] for r in rows)))
lens=[len(r['text'].split()) for r in rows]; print('len min/max/mean', min(lens), max(lens), sum(lens)/len(lens))
