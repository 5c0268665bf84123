import {
  api, badge, connectionLabel, empty, fill, h, progressBar, when,
} from "../app.js";

// What the installation's owner must act on (Apple's developer token nearing its end).
fetch("/api/v1/health").then((r) => r.json()).then((health) => {
  const warnings = Object.values(health.services ?? {}).flatMap((s) => s.warnings ?? []);
  const target = document.getElementById("warnings");
  if (!target || !warnings.length) return;
  target.replaceChildren(...warnings.map((w) => h("p", { class: "error", role: "alert" }, w)));
  target.hidden = false;
}).catch(() => {});

fill(document.getElementById("connections"), async () => {
  const connections = await api("GET", "/connections");
  if (!connections.length) {
    return empty("Nothing is connected yet.", h("a", { class: "button primary", href: "/connections" }, "Connect a service"));
  }
  return h("ul", { class: "plain" }, connections.map((c) =>
    h("li", { class: "spread" }, h("span", {}, connectionLabel(c)), badge(c.status))));
});

fill(document.getElementById("reviews"), async () => {
  const reviews = await api("GET", "/reviews");
  if (!reviews.length) return empty("Nothing to review: every match was sure enough.");
  return h("div", {},
    h("p", { class: "stat" }, String(reviews.length)),
    h("p", {}, reviews.length === 1 ? "track waits for your decision." : "tracks wait for your decision."),
    h("a", { class: "button primary", href: "/reviews" }, "Review them"));
});

fill(document.getElementById("downloads"), async () => {
  const downloads = await api("GET", "/downloads");
  const active = downloads.filter((d) => ["queued", "searching", "downloading"].includes(d.status));
  if (!active.length) {
    return empty("No download in progress.", h("a", { class: "button", href: "/downloads" }, "Download a track"));
  }
  return h("ul", { class: "plain" }, active.slice(0, 5).map((d) =>
    h("li", { class: "stack" },
      h("div", { class: "spread" }, h("span", {}, d.title), badge(d.status)),
      progressBar(`Downloading ${d.title}`, d.percent === null ? null : d.percent / 100))));
});

fill(document.getElementById("runs"), async () => {
  const jobs = await api("GET", "/sync/jobs");
  if (!jobs.length) {
    return empty("No sync job yet.", h("a", { class: "button primary", href: "/jobs/new" }, "Create a sync job"));
  }
  const names = Object.fromEntries(jobs.map((j) => [j.job_id, j.name]));
  const runs = (await Promise.all(jobs.map((j) => api("GET", `/sync/jobs/${j.job_id}/runs`))))
    .flat()
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .slice(0, 8);
  if (!runs.length) return empty("No job has run yet. Open a job to preview and run it.");
  return h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "Job"), h("th", {}, "Status"), h("th", { class: "hide-small" }, "Started"), h("th", { class: "num" }, "Not synced"))),
    h("tbody", {}, runs.map((r) => h("tr", {},
      h("td", {}, h("a", { href: `/runs/${r.run_id}` }, names[r.job_id] ?? r.job_id, r.dry_run ? " (plan)" : "")),
      h("td", {}, badge(r.status)),
      h("td", { class: "hide-small" }, when(r.created_at)),
      h("td", { class: "num" }, String(r.not_synced_total)))))));
});
