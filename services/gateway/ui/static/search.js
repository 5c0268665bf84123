// Search the download sources (YouTube, Soulseek: whatever the installation has) and pick
// what to download: each result with Download and Matched download; the files one share
// keeps in one folder (an album, often) also as a whole, with Download album and Matched
// album download, and a shared file alone can have its whole folder looked up. A source
// that could not be searched says so.
import { api, duration, h, show, toast } from "./app.js";
import { chooseArtist, lookedUpIn } from "./matched.js";

/** "9.8 MB", "820 kB". */
function size(bytes) {
  if (!bytes) return "";
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** The last part of a share's folder: "Mezzanine (1998)". */
function folderName(folder) {
  return folder.split("/").filter(Boolean).pop() ?? folder;
}

/** The track a result is, as the download API takes it. */
function trackOf(result) {
  return {
    title: result.track_title || result.title,
    artists: result.artists,
    ...(result.album ? { album: result.album } : {}),
    ...(result.track_number ? { track_number: result.track_number } : {}),
    ...(result.duration_ms ? { duration_ms: result.duration_ms } : {}),
  };
}

/** What the artist suggestions are asked about a result. */
function questionOf(result) {
  return {
    title: result.artists.length && !result.title.includes(" - ") ? `${result.artists[0]} - ${result.title}` : result.title,
    uploader: result.uploader,
    ...(result.duration_ms ? { duration_ms: result.duration_ms } : {}),
  };
}

/** The handler of a search form (its ``query`` field): ``results`` shows what was found;
 * ``onQueued`` hears of each download queued (the page follows the queue). */
export function audioSearch(results, onQueued) {
  // Each result names the search that found it (a folder's look-up is a search of its own).
  const pick = (r) => ({ search_id: r.search_id, index: r.index });

  const plain = async (r) => {
    try {
      const queued = await api("POST", "/downloads", { track: { title: r.title }, pick: pick(r) });
      toast(`Queued “${queued.track.title}” from ${r.source_name}.`);
      onQueued();
    } catch (error) {
      toast(error.message, "bad");
    }
  };
  const matched = (r) => chooseArtist(r.title, questionOf(r), async (artist, catalog) => {
    const queued = await api("POST", "/downloads", {
      track: artist ? trackOf(r) : { title: r.title },
      ...(artist ? { artist, ...lookedUpIn(catalog) } : {}),
      pick: pick(r),
    });
    // Matched in the catalog or not, a track given an artist is filed under them.
    toast(artist
      ? `Queued “${queued.track.title}” by ${queued.track.artists.join(", ")} from ${r.source_name}${queued.matched ? "" : " (not found in the catalog: filed with its own title)"}.`
      : `Queued “${queued.track.title}” from ${r.source_name}.`);
    onQueued();
  }).catch((error) => toast(error.message, "bad"));
  const album = async (name, files, artist, catalog) => {
    const queued = await api("POST", "/downloads/album", {
      tracks: files.map((r) => (artist ? trackOf(r) : { title: r.title })),
      picks: files.map(pick),
      ...(artist ? { artist, ...lookedUpIn(catalog) } : {}),
    });
    toast(`Queued ${queued.length} track${queued.length === 1 ? "" : "s"} of “${name}”.`);
    onQueued();
  };

  const facts = (r) => [
    r.uploader ? `${r.source === "soulseek" ? "shared by" : "by"} ${r.uploader}` : "",
    duration(r.duration_ms),
    r.quality ?? "",
    size(r.size_bytes),
    r.source_name,
  ].filter(Boolean).join(" · ");
  const search = async (query) => {
    const found = await api("POST", "/downloads/search", { query });
    for (const r of found.results) r.search_id = found.search_id;
    return found;
  };

  /** A shared file's whole folder (an album, often), looked up by the folder's own name. */
  const wholeFolder = async (r, item, button) => {
    button.disabled = true;
    try {
      const parts = r.folder.split("/").slice(1).slice(-2);
      const query = parts.join(" ").replace(/[([{][^)\]}]*[)\]}]/g, " ").replace(/\s+/g, " ").trim();
      const found = await search(query || folderName(r.folder));
      const files = found.results.filter((f) => f.folder === r.folder);
      if (files.length > 1) item.replaceWith(albumGroup(r.folder, files));
      else toast(`The share has nothing else in “${folderName(r.folder)}” that a search finds.`);
    } catch (error) {
      toast(error.message, "bad");
    } finally {
      button.disabled = false;
    }
  };

  const row = (r, alone = false) => {
    const item = h("li", { class: "result", "data-result": String(r.index) });
    const folder = alone && r.folder
      ? h("button", { type: "button", class: "small quiet", onclick: (event) => wholeFolder(r, item, event.currentTarget) }, "Whole folder…")
      : null;
    item.append(h("div", { class: "spread" },
      h("div", { class: "stack tight" }, h("strong", { class: "name" }, r.title),
        h("span", { class: "muted meta" }, facts(r))),
      h("span", { class: "row tight" },
        h("button", { type: "button", class: "small", onclick: () => plain(r) }, "Download"),
        h("button", { type: "button", class: "small", onclick: () => matched(r) }, "Matched download"),
        folder)));
    return item;
  };

  const albumGroup = (folder, files) => {
    const name = folderName(folder);
    const first = files[0];
    const sorted = [...files].sort((a, b) => (a.track_number ?? 0) - (b.track_number ?? 0) || a.title.localeCompare(b.title));
    return h("li", { class: "album stack", "data-folder": folder },
      h("div", { class: "spread" },
        h("div", { class: "stack tight" }, h("strong", {}, name),
          h("span", { class: "muted meta" }, `${files.length} files shared by ${first.uploader} · ${first.source_name}`)),
        h("span", { class: "row tight" },
          h("button", {
            type: "button", class: "small",
            onclick: () => album(name, sorted, null, null).catch((e) => toast(e.message, "bad")),
          }, "Download album"),
          h("button", {
            type: "button", class: "small",
            onclick: () => chooseArtist(name, questionOf(sorted[0]), (artist, catalog) => album(name, sorted, artist, catalog))
              .catch((e) => toast(e.message, "bad")),
          }, "Matched album download"))),
      h("ul", { class: "plain results" }, sorted.map((f) => row(f))));
  };

  const groups = (found) => {
    // One share's folder of two or more files: an album to take whole; the rest alone.
    const folders = new Map();
    for (const r of found) {
      if (r.folder) folders.set(r.folder, [...(folders.get(r.folder) ?? []), r]);
    }
    const shown = [];
    const done = new Set();
    for (const r of found) {
      const files = r.folder ? folders.get(r.folder) : null;
      if (files && files.length > 1) {
        if (done.has(r.folder)) continue;
        done.add(r.folder);
        shown.push(albumGroup(r.folder, files));
      } else {
        shown.push(row(r, true));
      }
    }
    return shown;
  };

  return async ({ query }) => {
    results.setAttribute("aria-busy", "true");
    show(results, h("p", { class: "muted" }, `Searching for “${query}”…`));
    try {
      const found = await search(query);
      const away = found.unavailable.map((u) => h("p", { class: "notice", role: "status" }, `${u.reason}: its results are missing here.`));
      show(results, ...away, found.results.length
        ? h("ul", { class: "plain results" }, groups(found.results))
        : h("p", { class: "muted" }, `Nothing found for “${query}”${found.unavailable.length ? " in the sources that answered" : ""}.`));
    } finally {
      results.removeAttribute("aria-busy");
    }
  };
}
