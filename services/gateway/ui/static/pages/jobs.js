import { api, badge, empty, failed, h, providerName, show } from "../app.js";

const target = document.getElementById("jobs");
const ARROWS = { a_to_b: "→", b_to_a: "←", both: "⇄" };

function scope(job) {
  const parts = [];
  if (job.all_playlists) parts.push("all playlists");
  if (job.playlists.length) parts.push(`${job.playlists.length} playlist${job.playlists.length > 1 ? "s" : ""}`);
  if (job.liked) parts.push("liked songs");
  if (job.recently_played) parts.push("history");
  return parts.join(", ") || "nothing chosen";
}

try {
  const jobs = await api("GET", "/sync/jobs");
  const lastRuns = await Promise.all(jobs.map((j) => api("GET", `/sync/jobs/${j.job_id}/runs`)));
  show(target, jobs.length
    ? h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Job"), h("th", {}, "Between"), h("th", { class: "hide-small" }, "What"), h("th", {}, "Last run"))),
      h("tbody", {}, jobs.map((j, i) => h("tr", {},
        h("td", {}, h("a", { href: `/jobs/${j.job_id}` }, j.name)),
        h("td", {}, `${providerName(j.a_provider)} ${ARROWS[j.direction]} ${providerName(j.b_provider)}`),
        h("td", { class: "hide-small" }, scope(j)),
        h("td", {}, lastRuns[i][0]
          ? h("a", { href: `/runs/${lastRuns[i][0].run_id}` }, badge(lastRuns[i][0].status))
          : h("span", { class: "muted" }, "never")))))))
    : empty("No sync job yet: make one to keep two accounts in step.",
      h("a", { class: "button primary", href: "/jobs/new" }, "New sync job")));
} catch (error) {
  show(target, failed(error));
}
target.removeAttribute("aria-busy");
