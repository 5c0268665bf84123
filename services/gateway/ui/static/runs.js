// A sync run as a person follows it: live progress, the plan per playlist, the report.
import { artists, badge, empty, follow, h, progressBar, setProgress, show } from "./app.js";

export const ENDED = ["planned", "completed", "failed", "cancelled"];
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
    const p = run.progress;
    detail.textContent = run.phase === "applying"
      ? `${p.writes_done} of ${p.writes_total} write batches confirmed`
      : p.outstanding ? `${p.outstanding} requests outstanding` : "\u00a0";
  };
  return box;
}

function finishedText(run) {
  const took = run.duration_s === null ? "" : ` in ${run.duration_s.toFixed(1)} s`;
  if (run.status === "planned") return `Planned${took}: nothing was written`;
  if (run.status === "failed") return `Failed${took}: ${run.error ?? "see the notes"}`;
  if (run.status === "cancelled") return `Cancelled${took}: what was written stays`;
  return `Finished${took}`;
}

/** Follows a run until it ends, calling ``onView`` with each new view. */
export function followRun(runId, onView) {
  return follow(`/sync/runs/${runId}/events`, onView);
}

/** What the run does (or, dry, would do) to each pair of playlists. */
export function planTable(run, names) {
  if (!run.pairs.length) return empty("Nothing to sync: the job chose no playlist the sides have.");
  const cell = (n, label) => h("td", { class: "num" }, n ? h("strong", {}, String(n)) : "0", h("span", { class: "sr-only" }, ` ${label}`));
  return h("div", { class: "table-wrap" }, h("table", { class: "plan" },
    h("thead", {}, h("tr", {},
      h("th", {}, "Playlist"),
      h("th", { class: "num" }, `Add to ${names.a}`), h("th", { class: "num" }, `Remove from ${names.a}`),
      h("th", { class: "num" }, `Add to ${names.b}`), h("th", { class: "num" }, `Remove from ${names.b}`),
      h("th", { class: "num" }, "Conflicts"))),
    h("tbody", {}, run.pairs.map((p) => h("tr", {},
      h("td", {}, p.name, p.b_playlist_id || p.a_playlist_id ? "" : " (new)"),
      cell(p.add_to_a, `to add to ${names.a}`), cell(p.remove_from_a, `to remove from ${names.a}`),
      cell(p.add_to_b, `to add to ${names.b}`), cell(p.remove_from_b, `to remove from ${names.b}`),
      cell(p.conflicts, "conflicts"))))));
}

/** Every track the run did not sync, and why (with a way to act where there is one). */
export function report(run) {
  const lines = run.not_synced;
  const notes = run.notes.length ? h("ul", { class: "notes" }, run.notes.map((n) => h("li", {}, n))) : null;
  if (!lines.length) return h("div", {}, notes, empty(run.dry_run ? "Every track would be synced." : "Every track was synced."));
  return h("div", {}, notes,
    h("p", {}, `${run.not_synced_total} track${run.not_synced_total > 1 ? "s" : ""} not synced` +
      (run.not_synced_total > lines.length ? ` (the first ${lines.length} shown)` : "") + ":"),
    h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Track"), h("th", { class: "hide-small" }, "Playlist"), h("th", {}, "Why"))),
      h("tbody", {}, lines.map((l) => h("tr", {},
        h("td", {}, h("span", { class: "name" }, l.title), h("br"), h("span", { class: "muted" }, artists(l))),
        h("td", { class: "hide-small" }, l.pair),
        h("td", {}, l.reason, l.review_id ? [" · ", h("a", { href: `/reviews#${l.review_id}` }, "decide")] : null)))))));
}

export { badge, show };
