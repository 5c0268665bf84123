import {
  api, artists, artwork, connectionLabel, duration, empty, failed, h, show,
} from "../app.js";
import { albumButton, trackButtons } from "../matched.js";
import { missingTracks, resumeMissingTracks, tracksReader } from "../missing.js";

const select = document.getElementById("connection");
const collections = document.getElementById("collections");
const tracks = document.getElementById("tracks");
const PAGE = 50;

async function start() {
  let connections;
  try {
    connections = await api("GET", "/connections");
  } catch (error) {
    show(collections, failed(error));
    return;
  }
  if (!connections.length) {
    show(select, h("option", { value: "" }, "No account connected"));
    show(collections, empty("Connect a service to browse its library.",
      h("a", { class: "button primary", href: "/connections" }, "Connect a service")));
    return;
  }
  show(select, connections.map((c) => h("option", { value: c.connection_id }, connectionLabel(c))));
  const wanted = new URLSearchParams(location.search).get("connection");
  if (connections.some((c) => c.connection_id === wanted)) select.value = wanted;
  select.addEventListener("change", () => {
    history.replaceState(null, "", `?connection=${select.value}`);
    openAccount(select.value);
  });
  openAccount(select.value);
}

async function openAccount(connectionId) {
  show(collections, h("p", { class: "muted" }, "Loading playlists…"));
  show(tracks, h("p", { class: "muted" }, "Pick a playlist, your liked songs or your recent plays."));
  const item = (label, path) => h("li", {},
    h("button", { type: "button", class: "quiet", onclick: () => openTracks(label, path) }, label));
  const fixed = [item("Liked songs", `/connections/${connectionId}/liked`),
    item("Recently played", `/connections/${connectionId}/recent`)];
  try {
    const playlists = await api("GET", `/connections/${connectionId}/playlists`);
    show(collections, h("ul", { class: "plain" }, fixed, playlists.map((p) => h("li", {},
      h("button", {
        type: "button", class: "quiet",
        onclick: () => openTracks(p.name, `/connections/${connectionId}/playlists/${encodeURIComponent(p.playlist_id)}/tracks`),
      }, p.name, h("span", { class: "muted" }, p.track_count === null ? "" : ` · ${p.track_count} tracks`, p.owned ? "" : " · followed"))))));
  } catch (error) {
    show(collections, h("ul", { class: "plain" }, fixed), failed(error));
  }
}

async function openTracks(label, path) {
  const body = h("tbody");
  const more = h("button", { type: "button" }, "Load more");
  const missing = h("button", { type: "button", onclick: () => missingTracks(label, tracksReader(path)) }, "Download missing tracks");
  show(tracks, h("div", { class: "spread" }, h("h3", {}, label), missing), h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "Track"), h("th", { class: "hide-small" }, "Album"), h("th", { class: "num" }, "Length"))),
    body)), h("p", { class: "row" }, more));
  let offset = 0;
  const albums = new Map(); // album -> its tracks in this list, for a matched album download
  const albumCell = (t) => {
    if (!t.album) return h("td", { class: "hide-small" });
    const key = `${(t.album_artists?.[0] ?? t.artists?.[0] ?? "").toLowerCase()}\u0000${t.album.toLowerCase()}`;
    const first = !albums.has(key);
    if (first) albums.set(key, []);
    albums.get(key).push(t);
    return h("td", { class: "hide-small" }, t.album, first ? h("br") : null, first ? albumButton(t.album, albums.get(key)) : null);
  };
  const next = async () => {
    more.disabled = true;
    try {
      const page = await api("GET", `${path}?offset=${offset}&limit=${PAGE}`);
      offset += page.limit;
      body.append(...page.tracks.map((t) => h("tr", {},
        h("td", {}, h("div", { class: "track" }, artwork(t.artwork_urls, 40),
          h("span", { class: "name" }, t.title), h("span", { class: "meta" }, artists(t)), trackButtons(t))),
        albumCell(t),
        h("td", { class: "num" }, duration(t.duration_ms)))));
      if (!body.children.length) show(tracks, h("h3", {}, label), empty("Nothing here yet."));
      more.hidden = !page.has_more;
    } catch (error) {
      tracks.append(failed(error));
    }
    more.disabled = false;
  };
  more.addEventListener("click", next);
  await next();
}

start();
resumeMissingTracks();
