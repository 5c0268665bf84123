import { api, empty, failed, h, onSubmit, show, toast, when } from "../app.js";

const form = document.getElementById("new");
const list = document.getElementById("tokens");

async function load() {
  try {
    const tokens = await api("GET", "/tokens");
    show(list, tokens.length
      ? h("ul", { class: "plain" }, tokens.map((t) => h("li", { class: "spread" },
        h("div", {}, h("strong", {}, t.name), h("p", { class: "muted" }, t.scopes.join(", "), " · made ", when(t.created_at))),
        h("button", { type: "button", class: "danger", onclick: () => revoke(t) }, "Revoke"))))
      : empty("No API token yet."));
  } catch (error) {
    show(list, failed(error));
  }
  list.removeAttribute("aria-busy");
}

async function revoke(t) {
  try {
    await api("DELETE", `/tokens/${t.token_id}`);
    toast(`“${t.name}” is revoked.`);
  } catch (error) {
    toast(error.message, "bad");
  }
  load();
}

onSubmit(form, async ({ name, write, admin }) => {
  const scopes = ["read", ...(write ? ["write"] : []), ...(admin ? ["admin"] : [])];
  const made = await api("POST", "/tokens", { name, scopes });
  form.reset();
  show(document.getElementById("made"), h("div", { class: "notice stack" },
    h("p", {}, h("strong", {}, `Copy “${made.name}” now: it is not shown again.`)),
    h("code", { class: "secret", "data-token": "" }, made.token)));
  load();
});

load();
