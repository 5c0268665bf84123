import {
  api, badge, confirmDialog, connectionLabel, empty, fill, h, onSubmit, toast, when,
} from "../app.js";

const list = document.getElementById("connections");
const callback = `${location.origin}/connections/callback`;
document.getElementById("redirect-uri").textContent = callback;

function load() {
  return fill(list, async () => {
    const connections = await api("GET", "/connections");
    return connections.length
      ? h("ul", { class: "plain" }, connections.map(row))
      : empty("Nothing is connected yet: connect a service below.");
  });
}

function row(c) {
  return h("li", { class: "spread" },
    h("div", {},
      h("strong", {}, connectionLabel(c)), " ", badge(c.status),
      c.message ? h("p", { class: "muted" }, c.message) : null,
      h("p", { class: "muted" }, "Connected ", when(c.created_at))),
    h("div", { class: "row" },
      c.provider === "spotify"
        ? h("button", { type: "button", onclick: () => consent({ connection_id: c.connection_id }) }, "Re-authorise")
        : null,
      h("a", { class: "button", href: `/library?connection=${c.connection_id}` }, "Browse"),
      h("button", { type: "button", class: "danger", onclick: () => disconnect(c) }, "Disconnect")));
}

function disconnect(c) {
  confirmDialog(`Disconnect ${connectionLabel(c)}?`,
    "Its tokens are erased. Sync jobs that use it stop working until you connect it again.",
    "Disconnect", async () => {
      await api("DELETE", `/connections/${c.connection_id}`);
      toast(`${connectionLabel(c)} is disconnected.`);
      load();
    });
}

async function consent(fields) {
  const started = await api("POST", "/connections/consent", {
    provider: "spotify", redirect_uri: callback, ...fields,
  });
  location.assign(started.authorize_url);
}

onSubmit(document.getElementById("spotify"), ({ client_id }) =>
  consent(client_id ? { client_id } : {}));

onSubmit(document.getElementById("deezer"), async ({ access_token }, button) => {
  const made = await api("POST", "/connections", { provider: "deezer", access_token });
  button.form.reset();
  toast(`${connectionLabel(made)} is connected.`);
  load();
});

onSubmit(document.getElementById("plex"), async ({ access_token, server_url }, button) => {
  const made = await api("POST", "/connections", { provider: "plex", access_token, server_url });
  button.form.reset();
  toast(`${connectionLabel(made)} is connected.`);
  load();
});

const connected = new URLSearchParams(location.search).get("connected");
if (connected) toast(`${connected} is connected.`);
load();
