import {
  api, artwork, attempt, badge, dialog, empty, failed, h, onSubmit, progressBar, setProgress, show,
  toast,
} from "../app.js";

const list = document.getElementById("downloads");
const ACTIVE = ["queued", "searching", "downloading"];
const RETRYABLE = ["review", "failed", "cancelled"];
const CATALOG = "deezer";
const rows = new Map(); // download id -> row, updated in place so nothing moves

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
    where.textContent = view.reason ?? (view.path ? `Saved as ${view.path}` : `To ${view.target_path}`);
    show(actions,
      ACTIVE.includes(view.status)
        ? h("button", { type: "button", class: "danger", onclick: () => act(view, "cancel") }, "Cancel") : null,
      RETRYABLE.includes(view.status)
        ? h("button", { type: "button", onclick: () => act(view, "retry") }, "Try again") : null);
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

let timer = null;
async function refresh() {
  clearTimeout(timer);
  try {
    const downloads = await api("GET", "/downloads");
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
    if (downloads.some((d) => ACTIVE.includes(d.status))) timer = setTimeout(refresh, 1000);
  } catch (error) {
    show(list, failed(error));
  }
  list.removeAttribute("aria-busy");
}

/** The matched-download modal: five likely artists, and a search giving five more. */
function chooseArtist(request, suggestions) {
  const choices = h("div", { class: "artists", role: "list", "aria-live": "polite" });
  const fill = (found) => show(choices, found.length
    ? found.slice(0, 5).map((s) => h("button", {
      type: "button", class: "artist", role: "listitem",
      title: s.reasons.join(", "),
      onclick: () => queue(request, s.name, box),
    }, artwork(s.image_url ? [s.image_url] : [], 48), h("span", { class: "name" }, s.name),
    h("span", { class: "percent", "aria-label": `${Math.round(s.percent)} percent likely` }, `${Math.round(s.percent)}%`)))
    : h("p", { class: "muted" }, "No artist found: search below."));
  fill(suggestions);
  const search = h("form", { class: "row", role: "search" },
    h("label", { class: "sr-only", for: "artist-query" }, "Search for an artist"),
    h("input", { id: "artist-query", name: "query", type: "search", required: true, maxlength: 500, placeholder: "Another artist…" }),
    h("button", { type: "submit" }, "Search"),
    h("p", { class: "error", role: "alert", hidden: true }));
  onSubmit(search, async ({ query }) => {
    choices.setAttribute("aria-busy", "true");
    try {
      fill(await api("POST", "/match/artists/search", { query, catalog: CATALOG }));
    } finally {
      choices.removeAttribute("aria-busy");
    }
  });
  const box = dialog("Who is the artist?",
    h("p", { class: "muted" }, `For “${request.title}”. Pick one to tag and file the track under them.`),
    choices, search,
    h("div", { class: "row end" },
      h("button", { type: "button", class: "quiet", onclick: () => queue(request, null, box) }, "Download without matching")));
}

async function queue(request, artist, box) {
  try {
    const queued = await api("POST", "/downloads", {
      track: { title: request.title },
      ...(artist ? { artist, catalog: CATALOG } : {}),
      ...(request.audio_format ? { audio_format: request.audio_format } : {}),
    });
    box.close();
    toast(queued.matched
      ? `Queued “${queued.track.title}” by ${queued.track.artists.join(", ")}.`
      : `Queued “${queued.track.title}”.`);
    document.getElementById("new").reset();
    refresh();
  } catch (error) {
    toast(error.message, "bad");
  }
}

onSubmit(document.getElementById("new"), async (request) => {
  const suggestions = await api("POST", "/match/artists", {
    title: request.title, uploader: request.uploader, catalog: CATALOG,
  });
  chooseArtist(request, suggestions);
});

refresh();
