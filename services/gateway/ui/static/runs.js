// A sync run as a person follows it: live progress, the plan per playlist, the report.
import { api, artists, artwork, badge, empty, follow, h, progressBar, setProgress, show, toast } from "./app.js";
import { missingTracks, playlistReader } from "./missing.js";

export const ENDED = ["planned", "completed", "partial", "failed", "cancelled"];
const PHASES = {
  pending: "Waiting to start",
  listing: "Listing playlists on both sides",
  reading: "Reading the playlists",
  matching: "Matching tracks",
  planning: "Planning",
  applying: "Writing the changes",
  done: "Done",
};

/** How far a run is, as a fraction (null while there is nothing to count). */
export function fraction(run) {
  if (run.status === "completed" || run.status === "planned") return 1;
  const p = run.progress;
  if (run.phase === "applying" && p.writes_total) return p.writes_done / p.writes_total;
  return null;
}

/** The live part of a run page: a fixed-size box whose text and bar change in place. */
export function liveBox() {
  const status = h("span", { class: "badge" }, "…");
  const phase = h("span", { class: "muted" }, "");
  const bar = progressBar("Progress of the run", null);
  const detail = h("p", { class: "muted detail" }, "\u00a0");
  const box = h("div", { class: "stack live" }, h("div", { class: "spread" }, phase, status), bar, detail);
  box.update = (run) => {
    status.className = `badge ${run.status}`;
    status.textContent = run.status.replaceAll("_", " ");
    phase.textContent = ENDED.includes(run.status) ? finishedText(run) : PHASES[run.phase] ?? run.phase;
    setProgress(bar, ENDED.includes(run.status) && run.status !== "completed" && run.status !== "planned" ? 0 : fraction(run));
    detail.textContent = ENDED.includes(run.status) ? "\u00a0" : liveDetail(run);
  };
  return box;
}

const number = (n) => n.toLocaleString("en");

/** The playlists being read or written now: "“Road trip” on Deezer" (three at most). */
function workingOn(p) {
  const shown = p.working_on.slice(0, 3).join(", ");
  const more = p.working_on.length > 3 ? ` and ${p.working_on.length - 3} more` : "";
  return p.working_on.length ? ` · now ${shown}${more}` : "";
}

/** One playlist's writes: "“Road trip” on Deezer: 120 of 250 tracks written". */
function writesText(w) {
  if (!w.tracks_total) return `“${w.name}” on ${w.service}: ${w.done} of ${w.total} writes confirmed`;
  return `“${w.name}” on ${w.service}: ${number(w.tracks_done)} of ${number(w.tracks_total)} tracks written`;
}

/** What the run is doing right now, in counts a person can follow. */
function liveDetail(run) {
  const p = run.progress;
  const tracks = `${number(p.tracks_read)} track${p.tracks_read === 1 ? "" : "s"}`;
  if (run.phase === "reading") {
    const of = p.playlists_to_read ? ` of ${number(p.playlists_to_read)}` : "";
    return `Read ${p.playlists_read}${of} playlist${p.playlists_to_read === 1 ? "" : "s"} (${tracks})${workingOn(p)}`;
  }
  if (run.phase === "matching" && p.tracks_to_match) {
    // Only tracks no earlier run matched are sent to be matched.
    return `Matched ${number(p.tracks_matched)} of ${number(p.tracks_to_match)} new tracks`;
  }
  if (run.phase === "matching" || run.phase === "planning") return `Matching the ${tracks} read`;
  if (run.phase === "applying" && p.playlists.length) {
    return p.playlists.map(writesText).join(" · ") + workingOn(p);
  }
  return "\u00a0";
}

function finishedText(run) {
  const took = run.duration_s === null ? "" : ` in ${run.duration_s.toFixed(1)} s`;
  if (run.status === "planned") return `Planned${took}: nothing was written`;
  if (run.status === "failed") return `Failed${took}: ${run.error ?? "see the notes"}`;
  if (run.status === "cancelled") return `Cancelled${took}: what was written stays`;
  if (run.status === "partial") return `Completed with problems${took}: ${run.error ?? "see the report"}`;
  return `Finished${took}`;
}

/** Follows a run until it ends, calling ``onView`` with each new view. */
export function followRun(runId, onView) {
  return follow(`/sync/runs/${runId}/events`, onView);
}

/** What the run does (or, dry, would do) to each pair of playlists. ``job`` (when known)
 * gives its direction, so a one-way job shows only the side that changes, and its
 * accounts, so each playlist offers to download its tracks missing from the library. */
export function planTable(run, names, job = null, { tracksOpen = true } = {}) {
  if (!run.pairs.length) return empty("Nothing to sync: the job chose no playlist the sides have.");
  const cell = (n, label) => h("td", { class: "num" }, n ? h("strong", {}, String(n)) : "0", h("span", { class: "sr-only" }, ` ${label}`));
  const direction = job?.direction ?? "both";
  const sides = direction === "a_to_b" ? ["b"] : direction === "b_to_a" ? ["a"] : ["a", "b"];
  const source = direction === "b_to_a" ? "b" : "a";
  const columns = sides.flatMap((side) => [
    [`add_to_${side}`, `Add to ${names[side]}`, `to add to ${names[side]}`],
    [`remove_from_${side}`, `Remove from ${names[side]}`, `to remove from ${names[side]}`],
  ]);
  if (direction === "both") columns.push(["conflicts", "Conflicts", "conflicts"]);
  const missing = (p) => {
    const playlist = p[`${source}_playlist_id`];
    if (!job || !playlist) return h("td", {});
    return h("td", {}, h("button", {
      type: "button", class: "quiet",
      onclick: () => missingTracks(p.name, playlistReader(job[`${source}_connection_id`], playlist)),
    }, "Download missing tracks"));
  };
  return h("div", { class: "table-wrap" }, h("table", { class: "plan" },
    h("thead", {}, h("tr", {},
      h("th", {}, "Playlist"),
      columns.map(([, title]) => h("th", { class: "num" }, title)),
      job ? h("th", {}, h("span", { class: "sr-only" }, "Missing from your library")) : null)),
    h("tbody", {}, run.pairs.flatMap((p) => [h("tr", {},
      h("td", {}, p.name, p.b_playlist_id || p.a_playlist_id ? "" : " (new)",
        // The playlist on each service's own player (one the run makes, once made).
        ["a", "b"].filter((side) => p[`${side}_url`]).map((side) => h("span", { class: "muted" }, " · ",
          h("a", { href: p[`${side}_url`], target: "_blank", rel: "noopener noreferrer", class: "playlist-link" }, `open on ${names[side]}`)))),
      columns.map(([key, , label]) => cell(p[key], label)),
      job ? missing(p) : null),
    changedTracks(p, columns, 1 + columns.length + (job ? 1 : 0), tracksOpen)]))));
}

/** The tracks a pair's plan adds and removes, each with its cover (a placeholder where
 * there is none or it does not load), under the pair's row; only the columns shown.
 * Folded unless ``open`` (a run's page: the report below does not jump when it ends). */
function changedTracks(p, columns, span, open) {
  const groups = columns.filter(([key]) => key !== "conflicts" && (p.tracks ?? []).some((t) => t.change === key))
    .map(([key, title]) => {
      const tracks = p.tracks.filter((t) => t.change === key);
      const more = p[key] - tracks.length;
      return h("div", { class: "changed", "data-change": key },
        h("h4", {}, title),
        h("ul", { class: "changed-tracks" }, tracks.map((t) => h("li", { class: "changed-track" },
          artwork(t.artwork_url ? [t.artwork_url] : [], 40),
          h("span", {}, h("span", { class: "name" }, t.title), h("br"), h("span", { class: "muted" }, artists(t)))))),
        more > 0 ? h("p", { class: "muted" }, `and ${number(more)} more`) : null);
    });
  if (!groups.length) return null;
  return h("tr", { class: "changes-row" }, h("td", { colspan: span },
    h("details", { open },
      h("summary", {}, "The tracks it changes"),
      h("div", { class: "changed-groups" }, groups))));
}

/** What a person can do about a track not synced: decide its question, or download it
 * into the library (from the downloads page, its title filled in). */
function action(line) {
  if (line.review_id) return h("a", { href: `/reviews#${line.review_id}` }, "decide");
  const title = [artists(line), line.title].filter(Boolean).join(" - ");
  return h("a", { href: `/downloads?title=${encodeURIComponent(title)}` }, "download it");
}

/** Every track the run did not sync, and why (with a way to act where there is one):
 * the first page, and a button for each next one (the API pages long reports). */
export function report(run) {
  const lines = run.not_synced;
  const notes = run.notes.length ? h("ul", { class: "notes" }, run.notes.map((n) => h("li", {}, n))) : null;
  if (!lines.length) {
    // A run that ended before its plan synced nothing: it must not say all went well.
    const ended = !run.pairs.length && ["failed", "cancelled"].includes(run.status);
    return h("div", {}, notes, empty(ended
      ? `Nothing was synced: the run ${run.status === "cancelled" ? "was stopped" : "failed"} before its plan was made.`
      : run.dry_run ? "Every track would be synced." : "Every track was synced."));
  }
  const row = (l) => h("tr", {},
    h("td", {}, h("span", { class: "name" }, l.title), h("br"), h("span", { class: "muted" }, artists(l))),
    h("td", { class: "hide-small" }, l.pair),
    h("td", {}, l.reason, " · ", action(l)));
  const body = h("tbody", {}, lines.map(row));
  const shown = h("span", {}, "");
  let cursor = run.next_cursor;
  const count = () => {
    const n = body.childElementCount;
    shown.textContent = run.not_synced_total > n ? ` (the first ${n} shown)` : "";
  };
  const more = h("button", { type: "button", "data-action": "more", hidden: !cursor }, "Show more");
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await api("GET", `/sync/runs/${run.run_id}?cursor=${encodeURIComponent(cursor)}`);
      body.append(...page.not_synced.map(row));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      count();
    } catch (error) {
      toast(error.message, "bad");
    } finally {
      more.disabled = false;
    }
  });
  count();
  return h("div", {}, notes,
    h("p", {}, `${run.not_synced_total} track${run.not_synced_total > 1 ? "s" : ""} not synced`, shown, ":"),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Track"), h("th", { class: "hide-small" }, "Playlist"), h("th", {}, "Why"))),
      body)),
    more);
}

export { badge, show };
