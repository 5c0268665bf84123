import { api, attempt, empty, fill, h, onSubmit, secret, show, toast, when } from "../app.js";

const form = document.getElementById("new");
const list = document.getElementById("tokens");

function load() {
  return fill(list, async () => {
    const tokens = await api("GET", "/tokens");
    return tokens.length
      ? h("ul", { class: "plain" }, tokens.map((t) => h("li", { class: "spread" },
        h("div", {}, h("strong", {}, t.name), h("p", { class: "muted" }, t.scopes.join(", "), " · made ", when(t.created_at))),
        h("button", { type: "button", class: "danger", onclick: () => revoke(t) }, "Revoke"))))
      : empty("No API token yet.");
  });
}

async function revoke(t) {
  await attempt(async () => {
    await api("DELETE", `/tokens/${t.token_id}`);
    toast(`“${t.name}” is revoked.`);
  });
  load();
}

onSubmit(form, async ({ name, write, admin }) => {
  const scopes = ["read", ...(write ? ["write"] : []), ...(admin ? ["admin"] : [])];
  const made = await api("POST", "/tokens", { name, scopes });
  form.reset();
  show(document.getElementById("made"), h("div", { class: "notice stack" },
    h("p", {}, h("strong", {}, `Copy “${made.name}” now: it is not shown again.`)),
    secret(made.token, { "data-token": "" })));
  load();
});

load();
