import {
  api, attempt, badge, dialog, empty, failed, follow, h, onSubmit, progressBar, setProgress,
  show, toast,
} from "../app.js";
import { chooseArtist, lookedUpIn } from "../matched.js";
import { resumeMissingTracks, sourceName, transferWords } from "../missing.js";
import { audioSearch } from "../search.js";

const list = document.getElementById("downloads");
const ACTIVE = ["queued", "searching", "downloading"];
const RETRYABLE = ["review", "failed", "cancelled"];
const rows = new Map(); // download id -> row, updated in place so nothing moves
const misses = document.getElementById("misses");
const profiles = document.getElementById("profiles");
const profileChoice = document.getElementById("profile");
//: The groups of misses, in words, in the order they are listed.
const MISSES = {
  not_found: "No source had it",
  quality: "Nothing met the quality profile",
  unsure: "The match was unsure",
  refused: "A source refused",
  network: "A source could not be reached",
};

function row(d) {
  const status = h("span");
  const bar = progressBar(`Download of ${d.title}`, null);
  const where = h("p", { class: "muted where" });
  const actions = h("div", { class: "row" });
  const element = h("li", { class: "stack", "data-download": d.download_id },
    h("div", { class: "spread" }, h("strong", { class: "name" }, d.title), status), bar, where, actions);
  element.update = (view) => {
    show(status, badge(view.status));
    bar.hidden = !ACTIVE.includes(view.status) && view.status !== "done";
    setProgress(bar, view.status === "done" ? 1 : view.percent === null ? null : view.percent / 100);
    const from = sourceName(view);
    // On its way: "4.2 MB of 9.8 MB · 1.1 MB/s · from Soulseek"; its source is said as
    // soon as it is chosen.
    const transfer = transferWords(view);
    where.textContent = view.reason ?? (view.path ? `Saved as ${view.path}${from ? ` · from ${from}` : ""}`
      : view.status === "downloading" && transfer ? transfer
        : view.status === "searching" && from ? `Starting · from ${from}`
          : view.target_path ? `To ${view.target_path}` : "Looking for the best source…");
    show(actions,
      ACTIVE.includes(view.status)
        ? h("button", { type: "button", class: "danger", onclick: () => act(view, "cancel") }, "Cancel") : null,
      RETRYABLE.includes(view.status)
        ? h("button", { type: "button", onclick: () => act(view, "retry") }, "Try again") : null,
      RETRYABLE.includes(view.status)
        ? h("button", { type: "button", class: "quiet", onclick: () => editQuery(view) }, "Edit search…") : null);
  };
  element.update(d);
  return element;
}

async function act(view, action) {
  await attempt(async () => {
    await api("POST", `/downloads/${view.download_id}/${action}`, {});
    toast(action === "cancel" ? `Cancelling ${view.title}…` : `${view.title} is queued again.`);
  });
  refresh();
}

/** Retry one download with a search written by hand. */
function editQuery(view) {
  const form = h("form", { class: "stack" },
    h("label", {}, "Search for",
      h("input", { name: "query", required: true, maxlength: 500, value: view.query ?? view.title })),
    h("p", { class: "error", role: "alert", hidden: true }),
    h("div", { class: "row end" }, h("button", { type: "submit" }, "Search and download")));
  const box = dialog(`Another search for “${view.title}”`, form);
  onSubmit(form, async ({ query }) => {
    await api("POST", `/downloads/${view.download_id}/retry`, { query });
    box.close();
    toast(`${view.title} is searched again as “${query}”.`);
    refresh();
  });
}

async function retryMany(body, words) {
  await attempt(async () => {
    const { download_ids: ids } = await api("POST", "/downloads/retry", body);
    toast(`${ids.length} ${ids.length === 1 ? "download" : "downloads"} ${words}.`);
  });
  refresh();
}

function showMisses(downloads) {
  const missed = downloads.filter((d) => RETRYABLE.includes(d.status) && d.miss);
  if (!missed.length) {
    show(misses, h("p", { class: "muted" }, "Nothing missed."));
    return;
  }
  const groups = Object.entries(MISSES)
    .map(([miss, words]) => [miss, words, missed.filter((d) => d.miss === miss)])
    .filter(([, , items]) => items.length);
  show(misses,
    h("div", { class: "row end" },
      h("button", { type: "button", onclick: () => retryMany({}, "queued again") }, "Try all again")),
    ...groups.map(([miss, words, items]) => h("section", { class: "stack", "data-miss": miss },
      h("div", { class: "spread" },
        h("h3", {}, `${words} (${items.length})`),
        h("button", { type: "button", onclick: () => retryMany({ miss }, "queued again") }, "Try this group again")),
      h("ul", { class: "plain" }, ...items.map((d) => h("li", {},
        h("strong", {}, d.title), " ", h("span", { class: "muted" }, d.reason ?? "")))))));
}

async function loadProfiles() {
  try {
    const found = await api("GET", "/quality-profiles");
    show(profiles, found.length
      ? h("ul", { class: "plain" }, ...found.map((p) => h("li", { class: "spread" },
        h("span", {}, h("strong", {}, p.name), " ", h("code", {}, p.targets.join(", ")),
          p.accept_lower ? "" : " (first target only)"),
        h("button", { type: "button", class: "danger", onclick: () => dropProfile(p.name) }, "Delete"))))
      : h("p", { class: "muted" }, "No profile yet: downloads take what the installation is set to."));
    show(profileChoice, h("option", { value: "" }, "As configured"),
      ...found.map((p) => h("option", { value: p.name }, p.name)));
  } catch (error) {
    show(profiles, failed(error));
  }
}

async function dropProfile(name) {
  await attempt(async () => {
    await api("DELETE", `/quality-profiles/${encodeURIComponent(name)}`);
    toast(`Profile “${name}” deleted.`);
  });
  loadProfiles();
}

onSubmit(document.getElementById("new-profile"), async ({ name, targets, accept_lower }) => {
  const list = targets.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
  await api("PUT", "/quality-profiles", { name, targets: list, accept_lower: Boolean(accept_lower) });
  toast(`Profile “${name}” saved.`);
  document.getElementById("new-profile").reset();
  loadProfiles();
});

/** Shows the queue as it is now, each row updated in place. */
function showQueue(downloads) {
  if (!downloads.length) {
    rows.clear();
    show(list, empty("Nothing downloaded yet: paste a title above to download a track."));
  } else {
    let ul = list.querySelector("ul");
    if (!ul) {
      ul = h("ul", { class: "plain" });
      show(list, ul);
    }
    downloads.forEach((d, index) => {
      let element = rows.get(d.download_id);
      if (element) element.update(d);
      else {
        element = row(d);
        rows.set(d.download_id, element);
      }
      if (ul.children[index] !== element) ul.insertBefore(element, ul.children[index] ?? null);
    });
  }
  showMisses(downloads);
  list.removeAttribute("aria-busy");
}

// One event stream for the page: the queue each time it changes, until nothing is on its
// way; an action that queues something follows it again.
let queueStream = null;
function refresh() {
  if (queueStream) return;
  queueStream = follow("/downloads/events", showQueue);
  queueStream.addEventListener("end", () => { queueStream = null; });
  queueStream.addEventListener("error", () => {
    if (queueStream?.readyState === EventSource.CLOSED) {
      queueStream = null;
      show(list, failed(new Error("Tunebridge is not answering: is it still running?")));
    }
  });
}
refresh();

/** Queues the track asked for, matched to ``artist`` (or plain). */
async function queue(request, artist, catalog) {
  const queued = await api("POST", "/downloads", {
    track: { title: request.title },
    ...(artist ? { artist, ...lookedUpIn(catalog) } : {}),
    ...(request.audio_format ? { audio_format: request.audio_format } : {}),
    ...(request.profile ? { profile: request.profile } : {}),
  });
  toast(queued.matched
    ? `Queued “${queued.track.title}” by ${queued.track.artists.join(", ")}.`
    : `Queued “${queued.track.title}”.`);
  document.getElementById("new").reset();
  refresh();
}

onSubmit(document.getElementById("new"), async (request) => {
  await chooseArtist(request.title, { title: request.title, uploader: request.uploader },
    (artist, catalog) => queue(request, artist, catalog));
});

onSubmit(document.getElementById("search"), audioSearch(document.getElementById("found"), refresh));

loadProfiles();
const asked = new URLSearchParams(location.search).get("title");
if (asked) document.querySelector('#new [name="title"]').value = asked;  // "download it" from a run
resumeMissingTracks();
