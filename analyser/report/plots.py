"""The report's charts, drawn with matplotlib (Agg, no display) and embedded as inline PNG.

Charts carry only counts, rates and the names of agents, teams and weeks: never call text.
"""
from __future__ import annotations

import base64
import io
from typing import Any

RISK = "#c0392b"
RISK_LIGHT = "#f5b7b1"
OK = "#95a5a6"
GOOD = "#27ae60"
INK = "#2c3e50"
MAX_BARS = 25  # more rows than this go to the tables; the chart shows the worst


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.spines.top": False, "axes.spines.right": False,
                         "axes.edgecolor": "#bbbbbb", "axes.titleweight": "bold", "axes.titlesize": 11,
                         "axes.titlelocation": "left", "svg.fonttype": "none"})
    return plt


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", facecolor="white")
    _plt().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def risk_by_week(rows: list[dict[str, Any]]) -> str | None:
    """Calls per week (grey), those with risks (red), and the risk rate (line)."""
    if not rows:
        return None
    plt = _plt()
    weeks = [r["week"] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 3.4))
    x = range(len(weeks))
    ax.bar(x, [r["calls"] - r["risk_calls"] for r in rows], color=OK, label="calls without risks")
    ax.bar(x, [r["risk_calls"] for r in rows], bottom=[r["calls"] - r["risk_calls"] for r in rows], color=RISK,
           label="calls with risks")
    ax.set_xticks(list(x), weeks, rotation=45 if len(weeks) > 8 else 0, ha="right" if len(weeks) > 8 else "center")
    ax.set_ylabel("calls")
    ax2 = ax.twinx()
    ax2.plot(list(x), [100 * (r["risk_rate"] or 0) for r in rows], color=INK, marker="o", lw=2, label="risk rate")
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("risk rate %")
    ax2.spines["right"].set_visible(True)
    for xi, r in zip(x, rows):
        ax2.annotate(f"{100 * (r['risk_rate'] or 0):.0f}%", (xi, 100 * (r["risk_rate"] or 0)), textcoords="offset points",
                     xytext=(0, 7), ha="center", fontsize=9, color=INK)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", frameon=False, ncol=3, bbox_to_anchor=(0, 1.12))
    ax.set_title("Risk rate by week", pad=24)
    return _png(fig)


def rate_bars(rows: list[dict[str, Any]], key: str, title: str, rate: str = "risk_rate", count: str = "risk_calls",
              color: str = RISK) -> str | None:
    """Horizontal bars of a rate per agent or team, worst first, labelled 'n of N'."""
    if not rows:
        return None
    plt = _plt()
    rows = sorted(rows, key=lambda r: (-(r[rate] or 0), -r["calls"]))[:MAX_BARS]
    rows = rows[::-1]
    fig, ax = plt.subplots(figsize=(6.2, 0.9 + 0.32 * len(rows)))
    vals = [100 * (r[rate] or 0) for r in rows]
    ax.barh(range(len(rows)), [100] * len(rows), color="#eeeeee")
    ax.barh(range(len(rows)), vals, color=[color if v > 0 else OK for v in vals])
    ax.set_yticks(range(len(rows)), [str(r[key]) for r in rows])
    for i, r in enumerate(rows):
        ax.text(101, i, f"{100 * (r[rate] or 0):.0f}%  ({r[count]} of {r['calls']})", va="center", fontsize=9, color=INK)
    ax.set_xlim(0, 135)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("% of calls")
    ax.set_title(title)
    return _png(fig)


def who_and_when(agents: list[str], weeks: list[str], cells: list[list[tuple[int, int]]]) -> str | None:
    """Agents x weeks: each cell coloured by its risk rate and labelled 'risk calls/calls'."""
    if not agents or not weeks:
        return None
    import numpy as np

    plt = _plt()
    if len(agents) > MAX_BARS:  # keep the agents with the most risk calls
        order = sorted(range(len(agents)), key=lambda i: -sum(c[0] for c in cells[i]))[:MAX_BARS]
        agents, cells = [agents[i] for i in sorted(order)], [cells[i] for i in sorted(order)]
    rate = np.array([[c[0] / c[1] if c[1] else np.nan for c in row] for row in cells])
    fig, ax = plt.subplots(figsize=(max(5.5, 1.0 + 0.75 * len(weeks)), 0.9 + 0.42 * len(agents)))
    cmap = plt.get_cmap("Reds").with_extremes(bad="#f7f7f7")
    im = ax.imshow(np.ma.masked_invalid(rate), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i, row in enumerate(cells):
        for j, (risky, calls) in enumerate(row):
            if calls:
                ax.text(j, i, f"{risky}/{calls}", ha="center", va="center", fontsize=8.5,
                        color="white" if calls and risky / calls > 0.55 else INK)
    ax.set_xticks(range(len(weeks)), weeks, rotation=45 if len(weeks) > 6 else 0, ha="right" if len(weeks) > 6 else "center")
    ax.set_yticks(range(len(agents)), agents)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    bar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("risk rate")
    bar.set_ticks([0, 0.5, 1], labels=["0%", "50%", "100%"])
    ax.set_title("Who and when: calls with risks / calls, by agent and week")
    return _png(fig)


def score_by_agent(records_by_agent: dict[str, list[float]]) -> str | None:
    """Scorecard results per agent: each call's score (dots) and the spread (box)."""
    data = {a: v for a, v in records_by_agent.items() if v}
    if not data:
        return None
    plt = _plt()
    agents = sorted(data, key=lambda a: sum(data[a]) / len(data[a]))[:MAX_BARS][::-1]
    fig, ax = plt.subplots(figsize=(6.2, 0.9 + 0.36 * len(agents)))
    ax.boxplot([data[a] for a in agents], orientation="horizontal", widths=0.55, showfliers=False,
               medianprops={"color": INK, "lw": 2}, boxprops={"color": "#7f8c8d"}, whiskerprops={"color": "#7f8c8d"},
               capprops={"color": "#7f8c8d"})
    for i, a in enumerate(agents, start=1):
        ys = [i + 0.12 * ((k % 5) - 2) / 2 for k in range(len(data[a]))]
        ax.scatter(data[a], ys, s=14, color="#2980b9", alpha=0.7, zorder=3)
    ax.set_yticks(range(1, len(agents) + 1), agents)
    ax.set_xlim(0, 100)
    ax.set_xlabel("score %")
    ax.set_title("Scorecard results by agent (each dot a call)")
    return _png(fig)


def heat_steps(row: dict[str, Any] | None) -> str | None:
    """HEAT adherence on complaint calls: the share with each step."""
    if not row or not row.get("complaint_calls"):
        return None
    from .aggregate import HEAT_STEPS

    plt = _plt()
    names = [name for _, name in HEAT_STEPS] + ["All four"]
    vals = [100 * (row[f"{s}_rate"] or 0) for s, _ in HEAT_STEPS] + [100 * (row["all_four_rate"] or 0)]
    fig, ax = plt.subplots(figsize=(6.2, 2.9))
    colors = [GOOD if v >= 80 else ("#e67e22" if v >= 50 else RISK) for v in vals]
    ax.bar(names, vals, color=colors)
    for i, v in enumerate(vals):
        ax.text(i, v + 2, f"{v:.0f}%", ha="center", fontsize=9, color=INK)
    ax.set_ylim(0, 112)
    ax.set_ylabel("% of complaint calls")
    ax.set_title(f"HEAT on {row['complaint_calls']} complaint calls")
    return _png(fig)


def failed_items_bars(rows: list[dict[str, Any]], top: int = 10) -> str | None:
    rows = [r for r in rows if r["failed"]][:top][::-1]
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.2, 0.9 + 0.34 * len(rows)))
    ax.barh(range(len(rows)), [r["failed"] for r in rows], color=[RISK if r["critical"] else "#e67e22" for r in rows])
    ax.set_yticks(range(len(rows)), [r["item"] for r in rows])
    for i, r in enumerate(rows):
        ax.text(r["failed"], i, f"  {r['failed']} of {r['applicable']}", va="center", fontsize=9, color=INK)
    ax.set_xlim(0, max(r["failed"] for r in rows) * 1.3)
    ax.set_xlabel("calls answered 'no' (red: critical item)")
    ax.set_title("Items most often failed")
    return _png(fig)
