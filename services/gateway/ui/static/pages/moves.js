// Moving a whole library: choose two accounts and what to move, preview it with counts per
// kind, move it with live progress, keep the report, and later keep both in step.
import { api, connectionLabel, empty, failed, h, onSubmit, show, toast } from "../app.js";
import { ENDED, followRun, liveBox } from "../runs.js";

const form = document.getElementById("move");
const playlistsBox = document.getElementById("playlists");
const card = document.getElementById("result-card");
const resultBox = document.getElementById("result");
const liveHolder = document.getElementById("live");
const field = (name) => form.elements.namedItem(name);
let connections = [];

async function start() {
  try {
    connections = await api("GET", "/connections");
  } catch (error) {
    show(form, failed(error));
    return;
  }
  if (connections.length < 2) {
    show(form, empty("A move needs two connected accounts: the one you leave and the one you go to.",
      h("a", { class: "button primary", href: "/connections" }, "Connect a service")));
    return;
  }
  for (const side of ["source_connection_id", "target_connection_id"]) {
    show(field(side), connections.map((c) => h("option", { value: c.connection_id }, connectionLabel(c))));
  }
  field("target_connection_id").value = connections[1].connection_id;
  field("source_connection_id").addEventListener("change", loadPlaylists);
  field("all_playlists").addEventListener("change", loadPlaylists);
}

/** With "every playlist" unticked, the source's playlists to choose from. */
async function loadPlaylists() {
  playlistsBox.hidden = field("all_playlists").checked;
  if (playlistsBox.hidden) return;
  show(playlistsBox, h("p", { class: "muted" }, "Loading playlists…"));
  try {
    const found = await api("GET", `/connections/${field("source_connection_id").value}/playlists`);
    show(playlistsBox, found.length ? h("ul", { class: "plain" }, found.map((p) =>
      h("li", {}, h("label", { class: "inline" },
        h("input", { type: "checkbox", "data-playlist": p.playlist_id, checked: true }), p.name,
        h("span", { class: "muted" }, p.track_count === null ? "" : ` (${p.track_count})`)))))
      : h("p", { class: "muted" }, "This account has no playlists."));
  } catch (error) {
    show(playlistsBox, failed(error));
  }
}

function moveDocument() {
  const chosen = [...playlistsBox.querySelectorAll("input[data-playlist]:checked")].map((b) => b.dataset.playlist);
  const body = {
    source_connection_id: field("source_connection_id").value,
    target_connection_id: field("target_connection_id").value,
    playlists: field("all_playlists").checked ? null : chosen,
    liked: field("liked").checked,
    // Unticked: left out; ticked: moved where both services keep them.
    albums: field("albums").checked ? null : false,
    artists: field("artists").checked ? null : false,
  };
  if (body.source_connection_id === body.target_connection_id) throw new Error("Choose two different accounts.");
  if ((body.playlists !== null && !body.playlists.length) && !body.liked && body.albums === false && body.artists === false) {
    throw new Error("Choose what to move: playlists, liked songs, albums or artists.");
  }
  return body;
}

const number = (n) => n.toLocaleString("en");

function kindsTable(view) {
  const moved = view.dry_run ? "To move" : "Moved";
  if (!view.kinds.length) return empty("Nothing to move: the account has none of what was chosen.");
  return h("div", { class: "table-wrap" }, h("table", { class: "plan kinds" },
    h("thead", {}, h("tr", {}, ["What", "Items", moved, "Already there", "Not moved"].map((t, i) =>
      h("th", { class: i ? "num" : "", scope: "col" }, t)))),
    h("tbody", {}, view.kinds.map((k) => h("tr", {},
      h("th", { scope: "row" }, k.kind === "playlist" ? `${k.name} (${number(k.collections)})` : k.name),
      ...[k.items, k.moved, k.already_there, k.not_moved].map((n) => h("td", { class: "num" }, number(n))))))));
}

function notMovedTable(items) {
  const left = items.filter((i) => i.status === "not moved");
  if (!left.length) return h("p", {}, "Everything chosen is on the other service.");
  return h("div", { class: "table-wrap" }, h("table", { class: "not-moved" },
    h("thead", {}, h("tr", {}, ["What", "Where", "Title", "Why", "What to do"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, left.map((i) => h("tr", {},
      h("td", {}, i.item), h("td", {}, i.collection),
      h("td", {}, i.title, i.artists && i.item !== "artist" ? h("span", { class: "muted" }, ` · ${i.artists}`) : null),
      h("td", {}, i.reason), h("td", {}, i.action === "review" ? h("a", { href: "/reviews" }, "review") : i.action))))));
}

async function finished(moveId, runId) {
  const view = await api("GET", `/moves/${moveId}/runs/${runId}`);
  const report = await api("GET", `/moves/${moveId}/runs/${runId}/report?format=json`);
  const parts = [kindsTable(view)];
  if (view.notes.length) parts.push(h("ul", { class: "notes" }, view.notes.map((n) => h("li", {}, n))));
  parts.push(h("h3", {}, view.dry_run ? "Would not be moved" : "Not moved"), notMovedTable(report.items));
  parts.push(h("div", { class: "row" },
    h("a", { class: "button", href: view.report_csv, download: "" }, "Download the report (CSV)"),
    h("a", { class: "button", href: view.report_json, download: "" }, "Download the report (JSON)")));
  if (!view.dry_run && view.status !== "failed") {
    const keep = h("button", { type: "button", "data-action": "both-ways" }, "Keep both services in step");
    keep.addEventListener("click", async () => {
      keep.disabled = true;
      try {
        const job = await api("POST", `/moves/${moveId}/both-ways`);
        show(keep.parentElement, h("p", {}, "From now on changes on either service travel to the other: ",
          h("a", { href: `/jobs/${job.job_id}` }, job.name), "."));
        toast("Both ways from now on.");
      } catch (error) {
        keep.disabled = false;
        toast(error.message, "bad");
      }
    });
    parts.push(h("div", { class: "row" }, keep,
      h("span", { class: "muted" }, "The same playlists, songs, albums and artists, synced both ways while you change over.")));
  }
  show(resultBox, h("div", { class: "stack" }, ...parts));
}

async function begin(dryRun) {
  const body = moveDocument();
  const move = await api("POST", "/moves", body);
  for (const note of move.left_out) toast(note);
  const started = await api("POST", `/moves/${move.move_id}/runs`, { dry_run: dryRun });
  card.hidden = false;
  document.getElementById("h-result").textContent = dryRun ? "Preview" : "The move";
  const live = liveBox();
  show(liveHolder, live);
  show(resultBox, h("p", { class: "muted" }, dryRun
    ? "Reading both accounts and matching: nothing is written."
    : "Moving: this page follows it, and so does a reload."));
  await new Promise((resolve) => {
    followRun(started.run_id, (run) => {
      live.update(run);
      if (ENDED.includes(run.status)) resolve();
    });
  });
  await finished(move.move_id, started.run_id);
}

onSubmit(form, async () => begin(true));
form.querySelector('[data-action="move"]').addEventListener("click", async (event) => {
  const button = event.currentTarget;
  const error = form.querySelector(".error");
  error.hidden = true;
  button.disabled = true;
  try {
    await begin(false);
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});

start();
