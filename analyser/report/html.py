"""The HTML page: one self-contained file (styles and charts inline, no scripts).

Every piece of text that comes from a call or its metadata goes through ``html.escape``;
quotes were masked before storage and are masked again on the way in (aggregate.py).
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from .aggregate import HEAT_STEPS, RISK_NAMES

CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;margin:0;color:#2c3e50;background:#f4f6f8}
header{background:#2c3e50;color:#fff;padding:18px 32px}
header h1{margin:0 0 4px;font-size:22px} header p{margin:2px 0;color:#d5dde5;font-size:13px}
main{padding:20px 32px;max-width:1400px}
.tiles{display:flex;gap:14px;flex-wrap:wrap;margin-bottom:18px}
.tile{background:#fff;border-radius:8px;padding:14px 18px;min-width:150px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.tile .v{font-size:30px;font-weight:700} .tile .l{font-size:12px;color:#6b7b8c;text-transform:uppercase;letter-spacing:.04em}
.tile.risk{border-left:6px solid #c0392b} .tile.risk .v{color:#c0392b} .tile.ok{border-left:6px solid #27ae60}
.tile.plain{border-left:6px solid #95a5a6}
section{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:18px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
section h2{margin:0 0 10px;font-size:17px}
.row{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start} .row>div{flex:1 1 520px}
img{max-width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:8px}
th{text-align:left;background:#ecf0f1;padding:6px 8px;position:sticky;top:0}
td{padding:5px 8px;border-top:1px solid #e5e8eb;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;color:#fff;background:#c0392b;white-space:nowrap}
.badge.DPA{background:#8e44ad}
q{font-style:italic;color:#34495e} .muted{color:#7f8c8d;font-size:12px}
.none{color:#27ae60;font-weight:600}
.problems{border-left:6px solid #e67e22}
footer{color:#7f8c8d;font-size:12px;padding:0 32px 24px}
"""


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _num(x: Any) -> str:
    if x is None:
        return "–"
    return f"{x:.1f}" if isinstance(x, float) else str(x)


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _img(uri: str | None, alt: str) -> str:
    return f'<img src="{uri}" alt="{escape(alt)}">' if uri else f'<p class="muted">No data for {escape(alt)}.</p>'


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], limit: int | None = None) -> str:
    if not rows:
        return '<p class="muted">None.</p>'
    head = "".join(f"<th>{escape(title)}</th>" for _, title in columns)
    body = []
    for row in rows[:limit]:
        cells = []
        for key, _ in columns:
            v = row.get(key)
            if key.endswith("rate"):
                cells.append(f'<td class="n">{_pct(v)}</td>')
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(f'<td class="n">{escape(_num(v))}</td>')
            else:
                cells.append(f"<td>{escape(_num(v) if not isinstance(v, bool) else ('yes' if v else 'no'))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="muted">and {len(rows) - limit} more in the CSV file.</p>' if limit and len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _href(link: str, out: Path) -> str | None:
    """A link the browser can follow from the report's folder: relative for local files."""
    if not link:
        return None
    if "://" in link:
        return link
    try:
        return Path(os.path.relpath(link, out)).as_posix()
    except ValueError:  # another drive on Windows
        return Path(link).as_uri()


def _risk_table(rows: list[dict[str, Any]], out: Path, limit: int = 500) -> str:
    if not rows:
        return '<p class="none">No calls with compliance risks.</p>'
    body = []
    for r in rows[:limit]:
        href = _href(r["link"], out)
        call = escape(r["call_id"])
        call = f'<a href="{escape(href, quote=True)}">{call}</a>' if href else call
        more = f' <span class="muted">(+{r["more_evidence"]} more)</span>' if r["more_evidence"] else ""
        family = escape(r["code"].split(".")[0])
        body.append(
            f"<tr><td>{escape(r['date'] or '–')}</td><td>{call}</td><td>{escape(r['agent'])}</td><td>{escape(r['team'])}</td>"
            f'<td><span class="badge {family}">{escape(r["risk"])}</span></td>'
            f"<td>{escape(r['speaker'])}</td><td class=\"n\">{_time(r['start'])}</td>"
            f"<td><q>{escape(r['quote'])}</q>{more}</td></tr>")
    more = f'<p class="muted">and {len(rows) - limit} more in risk_calls.csv.</p>' if len(rows) > limit else ""
    return ("<table><thead><tr><th>date</th><th>call (scorecard)</th><th>agent</th><th>team</th><th>risk</th>"
            "<th>speaker</th><th>time</th><th>evidence</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>" + more)


def render(data: dict[str, Any], charts: dict[str, str | None], out: Path) -> str:
    ov = data["overview"]
    calls = ov["calls"]
    span = f"{ov['first_date']} to {ov['last_date']}" if ov["first_date"] else "no dates"
    risk_cls = "risk" if ov["risk_calls"] else "ok"
    tiles = [
        (risk_cls, _pct(ov["risk_rate"]), "calls with a compliance risk"),
        (risk_cls, f"{ov['risk_calls']} of {calls}", "calls with risks"),
        ("risk" if ov["PCI.CARD_DETAILS_SPOKEN"] else "ok", str(ov["PCI.CARD_DETAILS_SPOKEN"]), "card details spoken"),
        ("risk" if ov["DPA.DISCLOSURE_BEFORE_ID"] else "ok", str(ov["DPA.DISCLOSURE_BEFORE_ID"]), "disclosed before ID check"),
        ("plain", "–" if ov["mean_percent"] is None else f"{ov['mean_percent']:.0f}%", "mean scorecard score"),
        ("plain", _pct(ov["pass_rate"]), "scorecards passed"),
    ]
    tile_html = "".join(f'<div class="tile {c}"><div class="v">{escape(v)}</div><div class="l">{escape(l)}</div></div>'
                        for c, v, l in tiles)
    group_cols = [("calls", "calls"), ("risk_calls", "with risks"), ("risk_rate", "risk rate"),
                  ("PCI.CARD_DETAILS_SPOKEN", "card spoken"), ("DPA.DISCLOSURE_BEFORE_ID", "disclosure"),
                  ("mean_percent", "mean score %"), ("pass_rate", "passed")]
    heat_cols = [("complaint_calls", "complaint calls")] + [(f"{s}_rate", n) for s, n in HEAT_STEPS] + \
                [("all_four_rate", "all four")]
    problems = ""
    if data["problems"]:
        items = "".join(f"<li>{escape(p)}</li>" for p in data["problems"])
        problems = f'<section class="problems"><h2>Calls that could not be read</h2><ul>{items}</ul></section>'
    csv_links = " · ".join(f'<a href="{escape(name)}">{escape(name)}</a>' for name in data["csv_files"])
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Compliance risks across calls</title><style>{CSS}</style></head>
<body>
<header><h1>Compliance risks across calls</h1>
<p>{calls} calls · {ov['agents']} agents · {ov['teams']} teams · {escape(span)}</p>
<p>Source: {escape(data['source'])} · Filter: {escape(data['filters'])} · Generated {generated}</p></header>
<main>
<div class="tiles">{tile_html}</div>
{problems}
<section><h2>Who and when</h2><div class="row"><div>{_img(charts.get('who_when'), 'risk by agent and week')}</div>
<div>{_img(charts.get('week'), 'risk rate by week')}</div></div></section>
<section><h2>Calls with compliance risks</h2>
<p class="muted">{', '.join(escape(n) for n in RISK_NAMES.values())}. Card and bank numbers are masked
(<code>[CARD ****0937]</code>); the call id opens its draft scorecard.</p>
{_risk_table(data['risk_rows'], out)}</section>
<section><h2>By agent</h2><div class="row"><div>{_img(charts.get('agent'), 'risk rate by agent')}</div>
<div>{_img(charts.get('scores'), 'scores by agent')}</div></div>
{_table(data['by_agent'], [('agent', 'agent'), ('team', 'team')] + group_cols)}</section>
<section><h2>By team</h2><div class="row"><div>{_img(charts.get('team'), 'risk rate by team')}</div>
<div>{_table(data['by_team'], [('team', 'team')] + group_cols)}</div></div></section>
<section><h2>By week</h2>{_table(data['by_week'], [('week', 'week')] + group_cols)}</section>
<section><h2>HEAT on complaint calls</h2><div class="row"><div>{_img(charts.get('heat'), 'HEAT adherence')}</div>
<div>{_table(data['heat_by_agent'], [('agent', 'agent')] + heat_cols)}</div></div></section>
<section><h2>Items most often failed</h2><div class="row"><div>{_img(charts.get('items'), 'items most often failed')}</div>
<div>{_table(data['failed_items'], [('item', 'item'), ('question', 'question'), ('failed', 'failed'),
                                     ('applicable', 'applied'), ('fail_rate', 'fail rate'), ('critical', 'critical')])}</div>
</div></section>
<section><h2>Spreadsheets</h2><p>{csv_links}</p></section>
</main>
<footer>Draft findings of the call-quality analyser: a reviewer confirms each scorecard. Exit code 1 means risks were found.</footer>
</body></html>
"""
