import {
  api, attempt, badge, confirmDialog, connectionLabel, empty, fill, h, onSubmit, show, toast, when,
} from "../app.js";

const list = document.getElementById("connections");
const callback = `${location.origin}/connections/callback`;
for (const code of document.querySelectorAll(".redirect-uri")) code.textContent = callback;
// The connect forms, one per provider, say how each provider's accounts connect.
const forms = [...document.querySelectorAll("form.connect")];
const consenting = new Set(forms.filter((f) => f.dataset.auth === "oauth_pkce").map((f) => f.id));
// Providers connected from pasted headers take fresh ones into the same connection.
const pasting = new Set(forms.filter((f) => f.dataset.auth === "browser_headers").map((f) => f.id));
// Providers with a device-code sign-in (YouTube Music's own Google client) sign in again
// into the same connection too.
const devices = new Map(forms.filter((f) => f.dataset.auth === "device_code")
  .map((f) => [f.dataset.provider, f]));

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
      consenting.has(c.provider)
        ? h("button", { type: "button", onclick: () => attempt(() => consent(c.provider, { connection_id: c.connection_id })) }, "Re-authorise")
        : null,
      pasting.has(c.provider)
        ? h("button", { type: "button", onclick: () => pasteAgain(c) }, "Paste new headers")
        : null,
      devices.has(c.provider)
        ? h("button", { type: "button", onclick: () => signInAgain(c) }, "Sign in again with Google")
        : null,
      h("a", { class: "button", href: `/library?connection=${c.connection_id}` }, "Browse"),
      h("button", { type: "button", class: "danger", onclick: () => disconnect(c) }, "Disconnect")));
}

/** The provider's headers form, now giving its headers to connection ``c``. */
function pasteAgain(c) {
  const form = document.getElementById(c.provider);
  const button = form.querySelector('[type="submit"]');
  button.dataset.label ??= button.textContent;
  button.textContent = `Re-authorise ${connectionLabel(c)}`;
  form.dataset.connection = c.connection_id;
  form.querySelector("textarea").focus();
}

/** The provider's device-code form, now asking a code for connection ``c``. */
function signInAgain(c) {
  const form = devices.get(c.provider);
  const button = form.querySelector('[type="submit"]');
  button.dataset.label ??= button.textContent;
  button.textContent = `Get a sign-in code for ${connectionLabel(c)}`;
  form.dataset.connection = c.connection_id;
  form.closest("details").open = true;
  form.querySelector("input").focus();
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

async function consent(provider, fields) {
  const started = await api("POST", "/connections/consent", {
    provider, redirect_uri: callback, ...fields,
  });
  location.assign(started.authorize_url);
}

const pause = (seconds) => new Promise((done) => setTimeout(done, seconds * 1000));

/** A device-code sign-in: the code and the page to type it in are shown, and the answer
 * asked for every few seconds until it is given, refused or the code expires. */
async function deviceCode(form, provider, fields) {
  const shown = form.querySelector(".device-code");
  const again = form.dataset.connection ? { connection_id: form.dataset.connection } : {};
  const started = await api("POST", "/connections/consent", {
    provider, client_id: fields.client_id, app_secret: fields.app_secret, ...again,
  });
  show(shown,
    h("p", {}, "Open ", h("a", { href: started.authorize_url, target: "_blank", rel: "noopener" },
      started.authorize_url), " and type in this code:"),
    h("p", { class: "code" }, h("strong", {}, started.user_code)),
    h("p", { class: "muted" }, "Waiting for your answer on Google's page…"));
  shown.hidden = false;
  const until = Date.now() + (started.expires_in_s ?? 600) * 1000;
  try {
    while (Date.now() < until) {
      await pause(Math.max(1, started.interval_s ?? 5));
      const answer = await api("POST", "/connections/consent/poll", { state: started.state });
      if (answer?.connection_id) {
        form.reset();
        delete form.dataset.connection;
        const button = form.querySelector('[type="submit"]');
        if (button.dataset.label) button.textContent = button.dataset.label;
        toast(`${connectionLabel(answer)} is connected.`);
        load();
        return;
      }
    }
    throw "The code expired before it was entered: ask for a new one.";
  } finally {
    shown.hidden = true;
  }
}

for (const form of forms) {
  // A provider may offer a second way to connect: its form names the provider.
  const provider = form.dataset.provider ?? form.id;
  onSubmit(form, async (fields, button) => {
    if (form.dataset.auth === "oauth_pkce") {
      return consent(provider, fields.client_id ? { client_id: fields.client_id } : {});
    }
    if (form.dataset.auth === "device_code") return deviceCode(form, provider, fields);
    // Apple's sign-in runs on its own page, the one that may load Apple's script.
    if (form.dataset.auth === "musickit") return location.assign(`/connections/${provider}`);
    const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value));
    const again = form.dataset.connection ? { connection_id: form.dataset.connection } : {};
    const made = await api("POST", "/connections", { provider, ...given, ...again });
    delete form.dataset.connection;
    if (button.dataset.label) button.textContent = button.dataset.label;
    button.form.reset();
    toast(`${connectionLabel(made)} is connected.`);
    load();
  });
}

const connected = new URLSearchParams(location.search).get("connected");
if (connected) toast(`${connected} is connected.`);
load();
