"use strict";
(function () {
  const data = JSON.parse(document.getElementById("orch-data").textContent);
  const panel = document.getElementById("details");
  const fmt = (ms) => ms < 1000 ? ms + "ms" : ms < 60000 ? (ms / 1000).toFixed(1) + "s" : Math.round(ms / 1000) + "s";
  const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; };
  function show(i) {
    const t = data.targets[i];
    if (!t) return;
    panel.replaceChildren();
    const close = el("button", "close");
    close.addEventListener("click", () => { panel.hidden = true; });
    panel.append(close, el("h3", t.name));
    const st = el("p"); st.append(el("span", "", "dot st-" + t.status), t.status + (t.reason ? " — " + t.reason : ""));
    panel.append(st);
    if (t.log) { const a = el("a", "log file"); a.href = t.log; panel.append(a); }
    if (t.error) {
      panel.append(el("p", t.error.message));
      if (t.error.location) panel.append(el("p", t.error.location, "loc"));
      if (t.error.tail && t.error.tail.length) panel.append(el("pre", t.error.tail.join("\n")));
    }
    for (const a of t.attempts) {
      panel.append(el("h4", "attempt " + a.number + " — queued " + fmt(a.queued) + ", ran " + fmt(a.duration) + (a.error ? " — " + a.error : "")));
      const tb = el("table");
      for (const p of a.phases) { const r = el("tr"); r.append(el("td", p[0]), el("td", "+" + fmt(p[1]))); tb.append(r); }
      for (const s of a.steps) {
        const r = el("tr");
        r.append(el("td", s[0]), el("td", (s[3] ? "cached" : fmt(s[2])) + (s[4] ? " — " + s[4] : "")));
        tb.append(r);
      }
      panel.append(tb);
    }
    panel.hidden = false;
    for (const r of document.querySelectorAll("tr.sel")) r.classList.remove("sel");
    const row = document.getElementById("t-" + i);
    if (row) row.classList.add("sel");
  }
  document.addEventListener("click", (ev) => {
    const g = ev.target.closest("[data-i]");
    if (g) show(Number(g.dataset.i));
  });
  // How long the page took to parse, run and lay out, for measurements.
  window.addEventListener("load", () => {
    void document.body.offsetHeight;
    document.documentElement.dataset.renderMs = performance.now().toFixed(0);
  });
})();
