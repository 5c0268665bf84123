import {
  api, badge, confirmDialog, connectionLabel, empty, failed, h, onSubmit, show, toast, values, when,
} from "../app.js";
import { followRun, liveBox, planTable, report } from "../runs.js";
import { resumeMissingTracks } from "../missing.js";

const jobId = document.body.dataset.item;
const isNew = jobId === "new";
const form = document.getElementById("job");
const playlistsBox = document.getElementById("playlists");
const planBox = document.getElementById("plan");
let connections = [];
let job = null;

const field = (name) => form.elements.namedItem(name);
const sideNames = () => ({
  a: connectionLabel(connections.find((c) => c.connection_id === field("a_connection_id").value) ?? { provider: "A" }),
  b: connectionLabel(connections.find((c) => c.connection_id === field("b_connection_id").value) ?? { provider: "B" }),
});

async function start() {
  try {
    connections = await api("GET", "/connections");
    if (!isNew) job = await api("GET", `/sync/jobs/${jobId}`);
  } catch (error) {
    show(form, failed(error), h("a", { class: "button", href: "/jobs" }, "Back to sync jobs"));
    return;
  }
  if (connections.length < 2) {
    show(form, empty("A sync job needs two connected accounts.",
      h("a", { class: "button primary", href: "/connections" }, "Connect a service")));
    return;
  }
  for (const side of ["a_connection_id", "b_connection_id"]) {
    show(field(side), connections.map((c) => h("option", { value: c.connection_id }, connectionLabel(c))));
  }
  // The person's quality profiles, for the downloads the job's runs offer.
  const profiles = await api("GET", "/quality-profiles").catch(() => []);
  field("quality_profile").append(...profiles.map((p) => h("option", { value: p.name }, p.name)));
  field("b_connection_id").value = connections[1].connection_id;
  if (job) fillForm(job);
  form.querySelectorAll('[name$="_connection_id"], [name="direction"]').forEach((f) =>
    f.addEventListener("change", () => loadPlaylists([])));
  await loadPlaylists(job?.playlists ?? [], job?.partners ?? []);
  if (job) {
    document.querySelector("h1").textContent = job.name;
    document.title = `${job.name} · Tunebridge`;
    form.querySelector('[data-action="delete"]').hidden = false;
    document.getElementById("plan-card").hidden = false;
    document.getElementById("history-card").hidden = false;
    loadHistory();
  }
}

function fillForm(j) {
  field("name").value = j.name;
  field("a_connection_id").value = j.a_connection_id;
  field("b_connection_id").value = j.b_connection_id;
  form.querySelector(`[name="direction"][value="${j.direction}"]`).checked = true;
  for (const name of ["all_playlists", "liked", "recently_played", "albums", "artists"]) field(name).checked = j[name];
  const o = j.options;
  field("policy").value = o.policy;
  field("prefer").value = o.prefer;
  field("propagate_removals").checked = o.propagate_removals;
  field("max_removals").value = o.max_removals ?? "";
  field("auto_threshold").value = o.auto_threshold;
  field("review_threshold").value = o.review_threshold;
  field("quality_profile").value = j.quality_profile ?? "";
}

/** The source side's playlists to choose from, each with its partner on the other side:
 * the one chosen, else the one earlier runs paired it with, else one of the same name
 * there (a second copy of that name is a choice, never the default). */
async function loadPlaylists(chosen, partners = []) {
  const direction = form.querySelector('[name="direction"]:checked').value;
  const [from, to] = direction === "b_to_a" ? ["b", "a"] : ["a", "b"];
  const fromId = field(`${from}_connection_id`).value;
  const toId = field(`${to}_connection_id`).value;
  if (!fromId || !toId || fromId === toId) {
    show(playlistsBox, h("p", { class: "muted" }, "Pick two different accounts to choose playlists."));
    return;
  }
  show(playlistsBox, h("p", { class: "muted" }, "Loading playlists…"));
  let sources, targets;
  try {
    [sources, targets] = await Promise.all([
      api("GET", `/connections/${fromId}/playlists`),
      api("GET", `/connections/${toId}/playlists`),
    ]);
  } catch (error) {
    show(playlistsBox, failed(error));
    return;
  }
  const partnerOf = Object.fromEntries([...partners, ...chosen.filter((p) => p[`${to}_playlist_id`])]
    .map((p) => [p[`${from}_playlist_id`], p[`${to}_playlist_id`]]));
  const picked = new Set(chosen.map((p) => p[`${from}_playlist_id`]));
  const secondCopy = new Set(chosen.filter((p) => p.new_copy).map((p) => p[`${from}_playlist_id`]));
  if (!sources.length) {
    show(playlistsBox, h("p", { class: "muted" }, "This account has no playlists."));
    return;
  }
  const names = sideNames();
  show(playlistsBox, h("p", { class: "muted" }, `Or choose playlists of ${names[from]}, and where each goes on ${names[to]}:`),
    h("ul", { class: "plain" }, sources.map((p) => {
      const box = h("input", { type: "checkbox", "data-from": from, "data-playlist": p.playlist_id, checked: picked.has(p.playlist_id) });
      const same = targets.find((t) => t.name.toLowerCase() === p.name.toLowerCase());
      const partner = h("select", { "aria-label": `Where “${p.name}” goes on ${names[to]}`, "data-partner": p.playlist_id, "data-same": same ? "1" : "" },
        h("option", { value: "" }, same ? `A second playlist “${p.name}” (${names[to]} has one)` : "A new playlist of the same name"),
        targets.map((t) => h("option", { value: t.playlist_id }, t.name)));
      partner.value = secondCopy.has(p.playlist_id) ? "" : partnerOf[p.playlist_id] ?? same?.playlist_id ?? "";
      return h("li", { class: "spread" }, h("label", { class: "inline" }, box, p.name,
        h("span", { class: "muted" }, p.track_count === null ? "" : ` (${p.track_count})`)), partner,
        p.owned ? null : followedNote(p, names[from]));
    })));
}

/** A playlist the person follows but did not make: a service may refuse to let an app read
 * it (Spotify does), so a run would skip it. The way round is a copy the person owns. */
function followedNote(p, service) {
  return h("details", { class: "followed" },
    h("summary", { class: "muted" }, `Made by someone else: ${service} may not let Tunebridge read it`),
    h("p", { class: "muted" }, "If a run says it could not be read, copy it into a playlist of yours: in the ",
      "service's app, open “", p.name, "”, select every track and choose Add to playlist → New playlist. ",
      "Then choose that copy here."));
}

function chosenPairs() {
  return [...playlistsBox.querySelectorAll("input[data-playlist]:checked")].map((box) => {
    const from = box.dataset.from;
    const to = from === "a" ? "b" : "a";
    const select = playlistsBox.querySelector(`[data-partner="${CSS.escape(box.dataset.playlist)}"]`);
    const partner = select.value;
    // A new playlist where one of the same name exists is a second copy, chosen as such.
    const second = !partner && select.dataset.same ? { new_copy: true } : {};
    return { [`${from}_playlist_id`]: box.dataset.playlist, ...(partner ? { [`${to}_playlist_id`]: partner } : {}), ...second };
  });
}

function jobDocument() {
  const v = values(form);
  return {
    name: v.name,
    a_connection_id: v.a_connection_id,
    b_connection_id: v.b_connection_id,
    direction: v.direction,
    all_playlists: v.all_playlists,
    playlists: chosenPairs(),
    liked: v.liked,
    recently_played: v.recently_played,
    albums: v.albums,
    artists: v.artists,
    options: {
      policy: v.policy,
      prefer: v.prefer,
      propagate_removals: v.propagate_removals,
      max_removals: v.max_removals ?? null,
      auto_threshold: v.auto_threshold,
      review_threshold: v.review_threshold,
    },
    quality_profile: v.quality_profile || null,
  };
}

onSubmit(form, async () => {
  const body = jobDocument();
  if (body.a_connection_id === body.b_connection_id) throw new Error("Side A and side B must be different accounts.");
  if (!body.all_playlists && !body.playlists.length && !body.liked && !body.recently_played && !body.albums && !body.artists) {
    throw new Error("Choose what to sync: playlists, liked songs, history, albums or artists.");
  }
  if (isNew) {
    const made = await api("POST", "/sync/jobs", body);
    location.assign(`/jobs/${made.job_id}?saved=1`);
  } else {
    job = await api("PUT", `/sync/jobs/${jobId}`, body);
    document.querySelector("h1").textContent = job.name;
    toast("Saved.");
  }
});

form.querySelector('[data-action="delete"]').addEventListener("click", () => {
  confirmDialog(`Delete “${job.name}”?`, "Its schedules stop. Nothing on either account is changed.",
    "Delete", async () => {
      await api("DELETE", `/sync/jobs/${jobId}`);
      location.assign("/jobs");
    });
});

async function startRun(dryRun) {
  return api("POST", `/sync/jobs/${jobId}/runs`, { dry_run: dryRun });
}

document.querySelector('[data-action="plan"]').addEventListener("click", async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const started = await startRun(true);
    const live = liveBox();
    const result = h("div");
    show(planBox, live, result);
    followRun(started.run_id, (run) => {
      live.update(run);
      if (run.status === "planned") {
        show(result, planTable(run, sideNames(), job), h("h3", {}, "Would not be synced"), report(run));
        button.disabled = false;
        loadHistory();
      } else if (["failed", "cancelled"].includes(run.status)) button.disabled = false;
    });
  } catch (error) {
    show(planBox, failed(error));
    button.disabled = false;
  }
});

document.querySelector('[data-action="run"]').addEventListener("click", async (event) => {
  event.currentTarget.disabled = true;
  try {
    const started = await startRun(false);
    location.assign(`/runs/${started.run_id}`);
  } catch (error) {
    toast(error.message, "bad");
    event.currentTarget.disabled = false;
  }
});

async function loadHistory() {
  const target = document.getElementById("history");
  try {
    const runs = await api("GET", `/sync/jobs/${jobId}/runs`);
    show(target, runs.length
      ? h("ul", { class: "plain" }, runs.slice(0, 20).map((r) => h("li", { class: "spread" },
        h("a", { href: `/runs/${r.run_id}` }, when(r.created_at), r.dry_run ? " · preview" : "", ` · ${r.trigger}`),
        badge(r.status))))
      : empty("This job has not run yet."));
  } catch (error) {
    show(target, failed(error));
  }
}

if (new URLSearchParams(location.search).get("saved")) toast("Saved. Preview the plan, then run it.");
start();
resumeMissingTracks();
