import { api, connectionLabel, failed, show, toast } from "../app.js";
import { ENDED, followRun, liveBox, planTable, report } from "../runs.js";
import { resumeMissingTracks } from "../missing.js";

const runId = document.body.dataset.item;
const live = liveBox();
const cancel = document.querySelector('[data-action="cancel"]');
show(document.getElementById("live"), live);

let names = { a: "A", b: "B" };
let job = null;
try {
  const first = await api("GET", `/sync/runs/${runId}`);
  job = await api("GET", `/sync/jobs/${first.job_id}`).catch(() => null);
  if (job) {
    const connections = await api("GET", "/connections");
    const label = (id, provider) => connectionLabel(connections.find((c) => c.connection_id === id) ?? { provider });
    names = { a: label(job.a_connection_id, job.a_provider), b: label(job.b_connection_id, job.b_provider) };
    const link = document.getElementById("job-link");
    link.href = `/jobs/${job.job_id}`;
    link.textContent = `← ${job.name}`;
    document.querySelector("h1").textContent = `${job.name}: ${first.dry_run ? "preview" : "run"}`;
  }
  followRun(runId, (run) => {
    live.update(run);
    cancel.hidden = ENDED.includes(run.status);
    if (run.pairs.length) show(document.getElementById("changes"), planTable(run, names, job, { tracksOpen: false }));
    if (ENDED.includes(run.status)) show(document.getElementById("report"), report(run));
  });
} catch (error) {
  show(document.getElementById("live"), failed(error));
}

cancel.addEventListener("click", async () => {
  cancel.disabled = true;
  try {
    await api("POST", `/sync/runs/${runId}/cancel`);
    toast("The run stops at its next step.");
  } catch (error) {
    toast(error.message, "bad");
    cancel.disabled = false;
  }
});

resumeMissingTracks();
