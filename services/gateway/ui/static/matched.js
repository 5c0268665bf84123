// Downloads from anywhere a track is shown: a plain one (the best source, saved as it is),
// a "matched download" (the artist chosen among the five likely ones, then tagged and filed
// by the catalog's record) and a "matched album download" (an album's tracks under one
// artist, filed together).
import { api, artists, artwork, dialog, h, onSubmit, show, toast } from "./app.js";

/** The catalogs the person can look up in (their own accounts first, then this
 * installation's public ones), asked once per page; none when the connectors are away. */
let known = null;
export function catalogs() {
  known ??= api("GET", "/catalogs").catch(() => []);
  return known;
}

/** How a request names a catalog: its provider and, for an account of theirs, the connection. */
export function lookedUpIn(catalog) {
  if (!catalog) return { catalog: null };
  return { catalog: catalog.catalog, ...(catalog.connection_id ? { connection_id: catalog.connection_id } : {}) };
}

/** The modal asking who the artist is: five likely ones with their picture and share, as
 * the catalog chosen (one of the person's) finds them, and a search giving five more.
 * ``question`` is what ``/match/artists`` is asked ({title, uploader, duration_ms}).
 * ``onChoose(artist, catalog)`` gets the name (null: no matching) and the catalog used. */
export async function chooseArtist(title, question, onChoose) {
  const available = await catalogs();
  let catalog = available[0] ?? null;
  const choices = h("div", { class: "artists", role: "list", "aria-live": "polite" });
  const pick = async (artist) => {
    try {
      await onChoose(artist, artist ? catalog : null);
      box.close();
    } catch (error) {
      toast(error.message, "bad");
    }
  };
  const fill = (found) => show(choices, found.length
    ? found.slice(0, 5).map((s) => h("button", {
      type: "button", class: "artist", role: "listitem",
      title: s.reasons.join(", "),
      onclick: () => pick(s.name),
    }, artwork(s.image_url ? [s.image_url] : [], 48), h("span", { class: "name" }, s.name),
    h("span", { class: "percent", "aria-label": `${Math.round(s.percent)} percent likely` }, `${Math.round(s.percent)}%`)))
    : h("p", { class: "muted" }, catalog ? "No artist found: search below." : "No catalog can be reached to suggest artists: search below, or download without matching."));
  const busy = async (ask) => {
    choices.setAttribute("aria-busy", "true");
    try {
      fill(await ask());
    } catch (error) {
      show(choices, h("p", { class: "error", role: "alert" }, error.message));
    } finally {
      choices.removeAttribute("aria-busy");
    }
  };
  const suggest = () => busy(() => api("POST", "/match/artists", { ...question, ...lookedUpIn(catalog) }));
  const where = available.length > 1
    ? h("label", { class: "row tight" }, "Look up in ",
      h("select", {
        onchange: (event) => { catalog = available[Number(event.target.value)]; suggest(); },
      }, available.map((c, index) => h("option", { value: String(index) }, c.label))))
    : h("p", { class: "muted" }, catalog ? `Looked up in ${catalog.label}.` : "No catalog connected: connect Spotify, Deezer or another service to have artists suggested.");
  const search = h("form", { class: "row", role: "search" },
    h("label", { class: "sr-only", for: "artist-query" }, "Search for an artist"),
    h("input", { id: "artist-query", name: "query", type: "search", required: true, maxlength: 500, placeholder: "Another artist…" }),
    h("button", { type: "submit" }, "Search"),
    h("p", { class: "error", role: "alert", hidden: true }));
  onSubmit(search, ({ query }) => busy(() => api("POST", "/match/artists/search", { query, ...lookedUpIn(catalog) })));
  const box = dialog("Who is the artist?",
    h("p", { class: "muted" }, `For “${title}”. Pick one to tag and file it under them.`),
    where, choices, search,
    h("div", { class: "row end" },
      h("button", { type: "button", class: "quiet", onclick: () => pick(null) }, "Download without matching")));
  await suggest();
  return box;
}

/** A track as the download API takes it. */
function asked(track) {
  return {
    title: track.title,
    artists: track.artists,
    album: track.album,
    duration_ms: track.duration_ms,
    isrc: track.isrc,
  };
}

/** What the artist suggestions are asked about a track (its own artists first). */
function question(track) {
  const credit = artists(track);
  return { title: credit ? `${credit} - ${track.title}` : track.title };
}

/** Queues one track, matched to ``artist`` or (null) plain. */
export async function downloadTrack(track, artist, catalog = null) {
  const queued = await api("POST", "/downloads", {
    track: asked(track), ...(artist ? { artist, ...lookedUpIn(catalog) } : {}),
  });
  toast(queued.matched
    ? `Queued “${queued.track.title}” by ${queued.track.artists.join(", ")}: see Downloads.`
    : `Queued “${queued.track.title}”: see Downloads.`);
}

/** The two buttons of a track: Download, and Matched download (which asks the artist). */
export function trackButtons(track) {
  return h("span", { class: "row tight" },
    h("button", { type: "button", class: "small", onclick: () => downloadTrack(track, null).catch((e) => toast(e.message, "bad")) }, "Download"),
    h("button", {
      type: "button", class: "small",
      onclick: () => chooseArtist(track.title, question(track),
        (artist, catalog) => downloadTrack(track, artist, catalog)).catch((e) => toast(e.message, "bad")),
    }, "Matched download"));
}

/** "Matched album download": the album's tracks, under the artist chosen, filed together. */
export function albumButton(album, tracks) {
  return h("button", {
    type: "button", class: "small",
    onclick: () => chooseArtist(album, question(tracks[0]), async (artist, catalog) => {
      const queued = await api("POST", "/downloads/album", {
        tracks: tracks.map(asked), ...(artist ? { artist, ...lookedUpIn(catalog) } : {}),
      });
      toast(`Queued ${queued.length} track${queued.length === 1 ? "" : "s"} of “${album}”: see Downloads.`);
    }).catch((e) => toast(e.message, "bad")),
  }, "Matched album download");
}
