import { api, attempt, badge, empty, fill, h, onSubmit, show, toast, when } from "../app.js";

const form = document.getElementById("new");
const list = document.getElementById("schedules");
let jobs = [];

const mode = form.elements.namedItem("mode");
mode.addEventListener("change", () => {
  form.querySelectorAll("[data-mode]").forEach((label) => { label.hidden = label.dataset.mode !== mode.value; });
});
form.elements.namedItem("timezone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
show(document.getElementById("zones"), (Intl.supportedValuesOf?.("timeZone") ?? []).map((z) => h("option", { value: z })));

function load() {
  return fill(list, async () => {
    jobs = await api("GET", "/sync/jobs");
    const schedules = await api("GET", "/schedules");
    const names = Object.fromEntries(jobs.map((j) => [j.job_id, j.name]));
    show(form.elements.namedItem("job_id"), jobs.map((j) => h("option", { value: j.job_id }, j.name)));
    form.hidden = !jobs.length;
    if (!jobs.length) {
      return empty("Make a sync job first, then schedule it here.", h("a", { class: "button primary", href: "/jobs/new" }, "New sync job"));
    }
    if (!schedules.length) return empty("Nothing is scheduled: jobs run when you start them.");
    return h("ul", { class: "plain" }, schedules.map((s) => h("li", { class: "spread" },
        h("div", {},
          h("strong", {}, names[s.job_id] ?? s.job_id), " · ", s.description, " ",
          s.paused ? badge("paused") : null,
          h("p", { class: "muted" }, s.paused ? "Paused." : ["Next: ", when(s.next_fire_at)],
            s.last_fired_at ? [" · last: ", when(s.last_fired_at)] : "", s.last_note ? ` · ${s.last_note}` : "")),
        h("div", { class: "row" },
          h("button", { type: "button", onclick: () => act(`/schedules/${s.schedule_id}/${s.paused ? "resume" : "pause"}`, "POST") }, s.paused ? "Resume" : "Pause"),
          h("button", { type: "button", class: "danger", onclick: () => act(`/schedules/${s.schedule_id}`, "DELETE") }, "Delete")))));
  });
}

async function act(path, method) {
  await attempt(() => api(method, path));
  load();
}

onSubmit(form, async (v) => {
  const body = { job_id: v.job_id, catch_up: v.catch_up };
  if (v.mode === "cron") Object.assign(body, { cron: v.cron, timezone: v.timezone || "UTC" });
  else body.every_s = Math.round((v.hours ?? 0) * 3600);
  const made = await api("POST", "/schedules", body);
  toast(`Scheduled: ${made.description}.`);
  load();
});

load();
