import {
  api, artists, artwork, duration, empty, failed, h, onSubmit, providerName, show, toast,
} from "../app.js";

const list = document.getElementById("reviews");
const bulk = document.getElementById("bulk");
const selectAll = document.getElementById("select-all");

function trackCard(track, size = 64) {
  return h("div", { class: "track" }, artwork(track.artwork_urls, size),
    h("span", { class: "name" }, track.title),
    h("span", { class: "meta" }, [artists(track), track.album, duration(track.duration_ms)].filter(Boolean).join(" · ")));
}

function percent(confidence) {
  return `${Math.round(confidence * 100)}%`;
}

async function decide(review, decision, candidateId) {
  try {
    await api("POST", `/reviews/${review.review_id}/decision`, {
      decision, ...(candidateId ? { candidate_id: candidateId } : {}),
    });
    toast(`Decided: ${review.source.title}.`);
    document.getElementById(review.review_id)?.remove();
    if (!list.querySelector("article")) load();
  } catch (error) {
    toast(error.message, "bad");
  }
}

function candidateRow(review, candidate) {
  return h("div", { class: "candidate" }, trackCard(candidate.track, 48),
    h("div", { class: "row" },
      h("span", { class: "confidence", title: "How sure the matcher is" }, percent(candidate.confidence)),
      h("button", {
        type: "button",
        "aria-label": `Choose ${candidate.track.title} by ${artists(candidate.track)}`,
        onclick: () => decide(review, "choose", candidate.track.provider_id),
      }, "Choose")));
}

function matchItem(review) {
  const candidates = h("div", { class: "candidates" },
    review.candidates.length ? review.candidates.map((c) => candidateRow(review, c))
      : h("p", { class: "muted" }, "No candidate found: search below."));
  const search = h("form", { class: "row", role: "search" },
    h("label", { class: "sr-only", for: `q-${review.review_id}` }, "Search"),
    h("input", { id: `q-${review.review_id}`, name: "q", type: "search", placeholder: `Search ${providerName(review.to_provider)}`, maxlength: 300 }),
    h("button", { type: "submit" }, "Search"));
  onSubmit(search, async ({ q }) => {
    const found = await api("GET", `/reviews/${review.review_id}/search${q ? `?q=${encodeURIComponent(q)}` : ""}`);
    show(candidates, found.length ? found.map((c) => candidateRow(review, c)) : h("p", { class: "muted" }, "Nothing found."));
  });
  return [
    h("div", { class: "side" }, h("h3", {}, `On ${providerName(review.from_provider)}`), trackCard(review.source)),
    h("div", { class: "side" }, h("h3", {}, `Candidates on ${providerName(review.to_provider)}`), candidates, search,
      h("div", { class: "row" },
        review.candidates.length ? h("button", { type: "button", class: "primary", onclick: () => decide(review, "accept") }, "Accept the best") : null,
        h("button", { type: "button", onclick: () => decide(review, "skip") }, "Skip"),
        h("button", { type: "button", onclick: () => decide(review, "not_on_service") }, `Not on ${providerName(review.to_provider)}`))),
  ];
}

function conflictItem(review) {
  const removedOn = providerName(review.removed_on === "a" ? review.from_provider : review.to_provider);
  return [
    h("div", { class: "side" }, h("h3", {}, "Removed on one side, added on the other"), trackCard(review.source)),
    h("div", { class: "side stack" }, h("p", {}, `It was removed on ${removedOn}. Keep it on both, or remove it from both?`),
      h("div", { class: "row" },
        h("button", { type: "button", class: "primary", onclick: () => decide(review, "keep") }, "Keep it"),
        h("button", { type: "button", class: "danger", onclick: () => decide(review, "remove") }, "Remove it"))),
  ];
}

function item(review) {
  return h("article", { class: "card", id: review.review_id, "aria-label": review.source.title },
    h("div", { class: "spread" },
      h("label", { class: "inline" }, h("input", { type: "checkbox", "data-review": review.review_id }),
        "Select", h("span", { class: "sr-only" }, ` ${review.source.title}`)),
      h("span", { class: "muted" }, `${providerName(review.from_provider)} → ${providerName(review.to_provider)}`)),
    h("div", { class: "review" }, review.kind === "conflict" ? conflictItem(review) : matchItem(review)));
}

async function load() {
  try {
    const reviews = await api("GET", "/reviews");
    bulk.hidden = !reviews.length;
    show(list, reviews.length ? reviews.map(item)
      : empty("Nothing to review. Uncertain matches from your sync runs appear here.",
        h("a", { class: "button", href: "/jobs" }, "Go to sync jobs")));
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  } catch (error) {
    show(list, failed(error));
  }
  list.removeAttribute("aria-busy");
}

selectAll.addEventListener("change", () => {
  list.querySelectorAll("input[data-review]").forEach((box) => { box.checked = selectAll.checked; });
});

onSubmit(bulk, async ({ decision }) => {
  const ids = [...list.querySelectorAll("input[data-review]:checked")].map((b) => b.dataset.review);
  if (!ids.length) throw new Error("Select the items to decide first.");
  const done = await api("POST", "/reviews/decisions", { review_ids: ids, decision });
  toast(`${done.decided} decided${done.not_found.length ? `; ${done.not_found.length} did not fit that decision` : ""}.`);
  selectAll.checked = false;
  load();
});

load();
