// The call page: quotes and times seek the recording; decisions are posted with the
// session's CSRF token and the page's panels are refreshed from the server's HTML
// (so all text stays escaped by the server's templates). Works without this script too.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const player = document.getElementById("player");
  const toast = document.getElementById("toast");
  let current = null; // the item article in focus

  function say(msg, bad) {
    toast.textContent = msg;
    toast.className = bad ? "show bad" : "show";
    clearTimeout(say.t);
    say.t = setTimeout(() => { toast.className = ""; }, bad ? 6000 : 2500);
  }

  function seek(seconds) {
    if (!player || isNaN(seconds)) return;
    player.currentTime = seconds;
    const p = player.play();
    if (p && p.catch) p.catch(() => {});
  }

  function flash(el) {
    if (!el) return;
    el.scrollIntoView({ block: "center", behavior: "smooth" });
    el.classList.remove("flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("flash");
  }

  function markOf(finding, turn) {
    if (finding !== "") {
      const m = document.querySelector('mark.q[data-f~="' + CSS.escape(finding) + '"]');
      if (m) return m;
    }
    return turn !== "" ? document.getElementById("turn-" + turn) : null;
  }

  document.addEventListener("click", (ev) => {
    const ts = ev.target.closest("[data-seek]");
    const evb = ev.target.closest("button.ev");
    if (evb) flash(markOf(evb.dataset.finding, evb.dataset.turn));
    else if (ts && ts.matches("mark.q")) flash(ts);
    if (ts) seek(parseFloat(ts.dataset.seek));
    const item = ev.target.closest("article.item");
    if (item) focusItem(item, false);
  });

  document.addEventListener("keydown", (ev) => {
    if (ev.target.closest("input, textarea, select")) {
      if (ev.key === "Escape") ev.target.closest("details")?.removeAttribute("open");
      return;
    }
    if (ev.key === "Enter" && ev.target.matches("mark.q")) { ev.target.click(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const items = [...document.querySelectorAll("article.item")];
    const i = items.indexOf(current);
    if (ev.key === "j") focusItem(items[Math.min(items.length - 1, i + 1)] || items[0], true);
    else if (ev.key === "k") focusItem(items[Math.max(0, i - 1)] || items[0], true);
    else if (ev.key === "c" && current) current.querySelector(".confirm-form button:not([disabled])")?.click();
    else if (ev.key === "o" && current) {
      const d = current.querySelector("details.override");
      if (d) { d.open = true; d.querySelector("textarea").focus(); }
    } else if (ev.key === "e" && current) current.querySelector("button.ev")?.click();
    else if (ev.key === " " && player) { player.paused ? player.play() : player.pause(); }
    else return;
    ev.preventDefault();
  });

  function focusItem(item, scroll) {
    if (!item) return;
    document.querySelectorAll("article.item.focus").forEach((a) => a.classList.remove("focus"));
    item.classList.add("focus");
    current = item;
    if (scroll) { item.focus({ preventScroll: true }); item.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
  }

  async function refresh(keep) {
    const html = await (await fetch(location.href, { credentials: "same-origin" })).text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    for (const id of ["callhead", "scorecard"]) {
      const fresh = doc.getElementById(id), old = document.getElementById(id);
      if (fresh && old) old.replaceWith(document.adoptNode(fresh));
    }
    const panel = document.getElementById("scorecard");
    if (keep) {
      const again = document.getElementById("item-" + keep);
      if (again) {
        focusItem(again, false);
        const next = again.nextElementSibling?.matches("article.item.open") ? again.nextElementSibling
          : panel.querySelector("article.item.open");
        if (next) focusItem(next, true);
      }
    }
  }

  document.addEventListener("submit", async (ev) => {
    const form = ev.target.closest("form.js-action");
    if (!form) return;
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    delete data.csrf_token;
    if (data.reason !== undefined && form.classList.contains("override-form") && !data.reason.trim()) {
      say("An override needs a reason.", true);
      return;
    }
    const item = form.closest("article.item");
    form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      const resp = await fetch(form.getAttribute("action"), { // not form.action: a field is named "action"
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
        body: JSON.stringify(data),
      });
      const body = await resp.json().catch(() => ({}));
      if (!resp.ok) {
        say((body.error && body.error.message) || ("Refused (" + resp.status + ")"), true);
        form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
        return;
      }
      say(body.status === "confirmed" ? "Call confirmed." : body.confirmed !== undefined
        ? body.confirmed + " item(s) confirmed as drafted." : "Saved.");
      await refresh(item ? item.dataset.item : null);
    } catch (e) {
      say("Could not reach the server; nothing was saved.", true);
      form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  });

  // Follow the recording: the turn being played is marked.
  if (player) {
    const turns = [...document.querySelectorAll("li.turn[data-start]")].filter((t) => t.dataset.start !== "");
    player.addEventListener("timeupdate", () => {
      const t = player.currentTime;
      let now = null;
      for (const turn of turns) { if (parseFloat(turn.dataset.start) <= t + 0.05) now = turn; else break; }
      turns.forEach((x) => x.classList.toggle("playing", x === now));
    });
  }
  focusItem(document.querySelector("article.item.open") || document.querySelector("article.item"), false);
})();
