import { api, attempt, dialog, empty, fill, h, onSubmit, secret, show, toast, when } from "../app.js";

const form = document.getElementById("new");
const list = document.getElementById("webhooks");
const made = document.getElementById("made");

function revealed(made) {
  const url = `${location.origin}${made.webhook.url}`;
  return h("div", { class: "notice stack" },
    h("p", {}, h("strong", {}, "Copy these now: the secret is not shown again.")),
    h("div", {}, h("p", { class: "label" }, "Address to give the sender"), secret(url)),
    made.webhook.kind === "generic"
      ? h("div", {}, h("p", { class: "label" }, "Signing secret (HMAC-SHA256 over “timestamp.body”)"), secret(made.secret))
      : null);
}

function load() {
  return fill(list, async () => {
    const [jobs, webhooks] = await Promise.all([api("GET", "/sync/jobs"), api("GET", "/webhooks")]);
    const names = Object.fromEntries(jobs.map((j) => [j.job_id, j.name]));
    show(document.getElementById("jobs"), jobs.length
      ? jobs.map((j) => h("label", { class: "inline" }, h("input", { type: "checkbox", "data-job": j.job_id }), j.name))
      : h("p", { class: "muted" }, "Make a sync job first."));
    return webhooks.length
      ? h("ul", { class: "plain" }, webhooks.map((w) => h("li", { class: "spread" },
        h("div", {}, h("strong", {}, w.kind), ` · starts ${w.job_ids.map((id) => names[id] ?? id).join(", ")}`,
          h("p", { class: "muted" }, `${w.deliveries} deliveries`, w.last_delivery_at ? [" · last ", when(w.last_delivery_at)] : "")),
        h("div", { class: "row" },
          h("button", { type: "button", onclick: () => rotate(w) }, "New secret"),
          h("button", { type: "button", class: "danger", onclick: () => remove(w) }, "Delete")))))
      : empty("No webhook yet.");
  });
}

function rotate(w) {
  return attempt(async () => {
    const rotated = await api("POST", `/webhooks/${w.webhook_id}/rotate`);
    dialog("New secret", h("p", {}, "The old one stops working now."), revealed(rotated));
  });
}

async function remove(w) {
  await attempt(async () => {
    await api("DELETE", `/webhooks/${w.webhook_id}`);
    toast("Webhook deleted.");
  });
  load();
}

onSubmit(form, async ({ kind }) => {
  const job_ids = [...form.querySelectorAll("input[data-job]:checked")].map((b) => b.dataset.job);
  if (!job_ids.length) throw new Error("Choose at least one job for it to start.");
  show(made, revealed(await api("POST", "/webhooks", { kind, job_ids })));
  load();
});

load();
