// "Download missing tracks" from a playlist (a library playlist, a sync job's pair, a
// run's report): check which of its tracks the library has (a music folder, or a media
// server that is connected), then download the others. The run, its choices and its
// downloads live on the server, and the modal follows them on one event stream: any
// browser of the person shows the same, and its bubble comes back after a reload.
import {
  api, artists, connectionLabel, dialog, h, progressBar, providerName, setProgress, show, toast,
} from "./app.js";

const FOLDER = "tb-music-folder";
const ENDED_DOWNLOAD = ["done", "already_there", "review", "failed", "cancelled", "skipped"];
/** The services whose library can be compared against (the connectors say which). */
const LIBRARIES = JSON.parse(document.getElementById("library-providers")?.textContent || "[]");

//: The audio sources as people name them (a download's ``source``).
const SOURCES = { youtube: "YouTube", soulseek: "Soulseek" };

/** Where a download comes from, as people name it ("YouTube", "Soulseek"): its source
 * once one is chosen, else what its address says. */
export function sourceName(d) {
  if (d.source) return SOURCES[d.source] ?? d.source;
  if (!d.source_url) return "";
  try {
    const host = new URL(d.source_url).hostname.replace(/^www\./, "");
    if (/(^|\.)youtube\.com$|(^|\.)youtu\.be$/.test(host)) return host.startsWith("music.") ? "YouTube Music" : "YouTube";
    return host;
  } catch {
    return "";
  }
}

/** A size in bytes as people read it: "4.2 MB". */
export function bytesText(n) {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(0)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** A download on its way, in plain words: "4.2 MB of 9.8 MB · 1.1 MB/s · from Soulseek"
 * (each part left out while it is not known). */
export function transferWords(d) {
  const from = sourceName(d);
  const parts = [];
  if (d.downloaded_bytes) {
    parts.push(d.size_bytes ? `${bytesText(d.downloaded_bytes)} of ${bytesText(d.size_bytes)}` : bytesText(d.downloaded_bytes));
  } else if (d.percent !== null && d.percent !== undefined) {
    parts.push(`${Math.round(d.percent)}%`);
  }
  if (d.speed_bps) parts.push(`${bytesText(d.speed_bps)}/s`);
  if (from) parts.push(`from ${from}`);
  return parts.join(" · ");
}

/** A download's state in a few words: "downloading 42% from YouTube", "no: not found". */
export function downloadWords(d) {
  if (["done", "already_there"].includes(d.status)) return d.status === "done" ? "yes" : "yes (already there)";
  if (["failed", "review", "cancelled"].includes(d.status)) return `no: ${d.reason ?? d.status}`;
  const from = sourceName(d);
  if (d.status === "downloading") {
    return `downloading${d.percent === null ? "" : ` ${Math.round(d.percent)}%`}${from ? ` from ${from}` : ""}`;
  }
  if (d.status === "searching" && from) return `starting from ${from}`;
  return d.status === "queued" ? "waiting" : d.status;
}

/** The modal for one playlist (``read`` gives its tracks); ``runId`` opens a run again. */
export function missingTracks(label, read, runId = null) {
  const state = { runId, downloads: [], closed: false, working: false, queued: false, stream: null };
  const counters = {
    total: h("strong", { class: "stat" }, "–"),
    present: h("strong", { class: "stat" }, "–"),
    missing: h("strong", { class: "stat" }, "–"),
  };
  const checkBar = progressBar("Library check", 0);
  const downloadBar = progressBar("Downloads", 0);
  const status = h("p", { class: "muted", "aria-live": "polite" }, "Compare this playlist with your library, then download what is missing.");
  const warning = h("p", { class: "error", role: "alert", hidden: true });
  const notes = h("ul", { class: "notes muted" });
  const folder = h("input", { name: "folder", value: localStorage.getItem(FOLDER) ?? "", placeholder: "/music", spellcheck: "false" });
  const folderLabel = h("label", {}, "Your music folder (on the server)", folder);
  // The library: the folder, or a connected media server (Plex, Jellyfin, a Subsonic server).
  const library = h("select", { name: "library" }, h("option", { value: "" }, "A music folder"));
  const libraryLabel = h("label", { hidden: true }, "Your library", library);
  library.addEventListener("change", () => { folderLabel.hidden = library.value !== ""; });
  api("GET", "/connections").then((found) => {
    const servers = found.filter((c) => LIBRARIES.includes(c.provider));
    library.append(...servers.map((c) => h("option", { value: c.connection_id }, connectionLabel(c))));
    libraryLabel.hidden = Boolean(state.runId) || !servers.length;
    // A Lidarr of theirs can take the albums whole: it finds and imports them itself.
    albumMode.append(...found.filter((c) => c.provider === "lidarr" && c.status === "connected").map((c) =>
      h("option", { value: `lidarr:${c.connection_id}` }, `Whole albums to ${connectionLabel(c)}`)));
  }).catch(() => {});
  // The quality profile and, for tracks sharing an album, one album folder or single files.
  const profile = h("select", { name: "profile" }, h("option", { value: "" }, "As configured"));
  api("GET", "/quality-profiles").then((found) => profile.append(
    ...found.map((p) => h("option", { value: p.name }, p.name)))).catch(() => {});
  const albumMode = h("select", { name: "album_mode" },
    h("option", { value: "single" }, "Single tracks, each where it is best"),
    h("option", { value: "album" }, "One album folder from one share"));
  const choices = h("div", { class: "stack", hidden: Boolean(runId) }, libraryLabel, folderLabel,
    h("div", { class: "grid" },
      h("label", {}, "Quality profile", profile),
      h("label", {}, "Tracks of one album", albumMode)));
  const body = h("tbody");
  const begin = h("button", { type: "button", class: "primary", hidden: Boolean(runId) }, "Begin");
  const cancel = h("button", { type: "button", class: "danger", hidden: true }, "Cancel");
  const close = h("button", { type: "button" }, "Close");
  const rows = new Map();
  const title = h("span", {}, label);
  const box = dialog(`Download missing tracks: ${label}`,
    choices,
    h("div", { class: "counters" },
      h("div", {}, counters.total, h("span", { class: "muted" }, "in the playlist")),
      h("div", {}, counters.present, h("span", { class: "muted" }, "in your library")),
      h("div", {}, counters.missing, h("span", { class: "muted" }, "to download"))),
    warning, notes,
    h("p", { class: "label" }, "Library check"), checkBar,
    h("p", { class: "label" }, "Downloads"), downloadBar,
    status,
    h("div", { class: "table-wrap missing-table" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Track"), h("th", {}, "In library"), h("th", {}, "Downloaded"))),
      body)),
    h("p", { class: "row end" }, cancel, close, begin));
  const bubble = h("button", { type: "button", class: "bubble", hidden: true }, "");
  document.body.append(bubble);
  bubble.addEventListener("click", () => {
    bubble.hidden = true;
    state.closed = false;
    document.body.append(box);  // a closed dialog leaves the page; it comes back as it was
    box.showModal();
  });
  close.addEventListener("click", () => box.close());
  box.addEventListener("close", () => {
    state.closed = true;
    if (state.working) bubble.hidden = false;
    else bubble.remove();
  });

  const row = (position, track) => {
    if (!rows.has(position)) {
      const cells = { library: h("td", {}, "…"), downloaded: h("td", {}, "") };
      body.append(h("tr", {}, h("td", {}, h("span", { class: "name" }, track.title), " ", h("span", { class: "muted" }, artists(track))), cells.library, cells.downloaded));
      rows.set(position, cells);
    }
    return rows.get(position);
  };

  /** Shows one view of the run and its downloads (each event of the stream). */
  function update(view) {
    const run = view.run;
    title.textContent = view.name || label;
    const s = run.summary ?? { total: 0, present: 0, missing: 0 };
    counters.total.textContent = String(s.total);
    counters.present.textContent = String(s.present);
    counters.missing.textContent = String(s.missing);
    for (const t of run.present) row(t.position, t.track).library.textContent = "yes";
    for (const t of run.missing) row(t.position, t.track).library.textContent = "no";
    // A media server that could not be read: the check's own words, the server named as
    // people know it ("Jellyfin could not be read (…): every track counts as missing").
    const unread = (n) => run.unreachable.find((part) => n.startsWith(`${part} could not be read`));
    const warnings = run.notes.filter(unread).map((n) => `${providerName(unread(n))}${n.slice(unread(n).length)}.`);
    for (const part of run.unreachable) {
      if (!run.notes.some((n) => unread(n) === part)) warnings.push(`${providerName(part)} could not be read: every track counts as missing from it.`);
    }
    warning.hidden = !warnings.length;
    warning.textContent = warnings.join(" ");
    // What else the check said (files it skipped...).
    const said = run.notes.filter((n) => !unread(n));
    if (notes.childElementCount !== said.length) show(notes, said.map((n) => h("li", {}, n)));
    if (run.status === "failed") throw new Error(run.error ?? "The library check failed.");
    if (run.status !== "completed") {
      // Tracks compared with the library so far ("matched 412 of 1,000"), ahead of the
      // counters, which wait for each batch's downloads to be planned.
      const matched = Math.max(run.progress.tracks_matched ?? 0, s.present + s.missing);
      setProgress(checkBar, s.total ? matched / s.total : 0);
      status.textContent = s.total
        ? `Checking your library: matched ${matched.toLocaleString("en")} of ${s.total.toLocaleString("en")} tracks…`
        : "Checking your library…";
      bubble.textContent = "Missing tracks: checking ↗";
      return;
    }
    setProgress(checkBar, 1);
    if (!s.missing) {
      status.textContent = "Every track is in your library: nothing to download.";
      setProgress(downloadBar, 1);
      return;
    }
    if (!view.downloads.length && !state.queued) queue(view);
    state.downloads = view.downloads;
    let finished = 0;
    for (const d of view.downloads) {
      const cells = rows.get(Number(d.download_id.split("-").pop()));
      if (cells) cells.downloaded.textContent = downloadWords(d);
      if (ENDED_DOWNLOAD.includes(d.status)) finished += 1;
    }
    const done = view.downloads.filter((d) => ["done", "already_there"].includes(d.status)).length;
    setProgress(downloadBar, finished / s.missing);
    status.textContent = view.downloads.length ? `Downloaded ${done} of ${s.missing}.` : "Queuing the downloads…";
    cancel.hidden = !view.downloads.length || finished === s.missing;
    bubble.textContent = `Missing tracks: ${finished} of ${s.missing} ↗`;
  }

  /** The run's missing tracks go to the downloader, as the run's ticket says (once). */
  async function queue(view) {
    state.queued = true;
    try {
      await api("POST", `/runs/${view.run_id}/downloads`, {
        album_mode: view.album_mode,
        ...(view.profile ? { profile: view.profile } : {}),
        ...(view.lidarr_connection_id ? { lidarr: { connection_id: view.lidarr_connection_id } } : {}),
      });
    } catch (error) {
      fail(error);
    }
  }

  function finish() {
    state.working = false;
    cancel.hidden = true;
    if (state.closed) {
      bubble.remove();
      toast(`Missing tracks of “${title.textContent}”: ${status.textContent}`);
    }
  }

  function fail(error) {
    state.stream?.close();
    status.textContent = error.message;
    status.className = "error";
    begin.hidden = false;
    begin.textContent = "Try again";
    choices.hidden = false;
    state.runId = null;
    state.working = false;
    cancel.hidden = true;
    if (state.closed) {
      bubble.remove();
      toast(`Missing tracks of “${title.textContent}”: ${error.message}`, "bad");
    }
  }

  /** One event stream for the whole of it: the check, then each download. */
  function watch() {
    state.working = true;
    bubble.textContent = "Missing tracks: checking ↗";
    const stream = new EventSource(`/api/v1/runs/${state.runId}/live`);
    state.stream = stream;
    const on = (event) => {
      try {
        const view = JSON.parse(event.data);
        if (view !== null) update(view);
        if (event.type === "end") {
          stream.close();
          finish();
        }
      } catch (error) {
        fail(error);
      }
    };
    stream.addEventListener("update", on);
    stream.addEventListener("end", on);
  }

  async function go() {
    begin.hidden = true;
    state.working = true;
    bubble.textContent = "Missing tracks: starting ↗";
    status.className = "muted";
    try {
      const server = library.value;
      const path = folder.value.trim();
      if (!server) localStorage.setItem(FOLDER, path);
      const tracks = await read();
      counters.total.textContent = String(tracks.length);
      tracks.forEach((t, i) => row(i, t));
      choices.hidden = true;
      const started = await api("POST", "/runs/missing-tracks", {
        tracks: tracks.map((t) => ({ title: t.title, artists: t.artists, album: t.album, duration_ms: t.duration_ms, isrc: t.isrc })),
        ...(server ? { library_connection_id: server } : { folder: path }),
        ticket: {
          name: label,
          ...(albumMode.value.startsWith("lidarr:")
            ? { album_mode: "lidarr", lidarr_connection_id: albumMode.value.slice("lidarr:".length) }
            : { album_mode: albumMode.value }),
          ...(profile.value ? { profile: profile.value } : {}),
        },
      });
      state.runId = started.run_id;
      watch();
    } catch (error) {
      fail(error);
    }
  }

  begin.addEventListener("click", go);
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    for (const d of state.downloads.filter((x) => !ENDED_DOWNLOAD.includes(x.status))) {
      await api("POST", `/downloads/${d.download_id}/cancel`).catch(() => null);
    }
    status.textContent = "Cancelling the downloads not done yet…";
    cancel.disabled = false;
  });
  if (runId) watch();
  return box;
}

/** The person's missing-tracks run still going on (in any browser): its bubble, here too. */
export async function resumeMissingTracks() {
  let going;
  try {
    going = await api("GET", "/runs?active=true");
  } catch {
    return;
  }
  if (!going.length) return;
  const box = missingTracks(going[0].name, async () => [], going[0].run_id);
  box.close();
}

/** Every page of the tracks at ``path`` (a playlist, liked songs, recent plays). */
export function tracksReader(path) {
  return async () => {
    const all = [];
    for (let offset = 0; ; offset += 50) {
      const page = await api("GET", `${path}?offset=${offset}&limit=50`);
      all.push(...page.tracks);
      if (!page.has_more) return all;
    }
  };
}

/** The tracks of a playlist of a connection. */
export function playlistReader(connectionId, playlistId) {
  return tracksReader(`/connections/${connectionId}/playlists/${encodeURIComponent(playlistId)}/tracks`);
}
