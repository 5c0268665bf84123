import { api, connectionLabel, errorText, h, show } from "../app.js";

// The provider sent the person back here with a code (or an error) for the consent.
const query = new URLSearchParams(location.search);
const outcome = document.getElementById("outcome");
const params = new URLSearchParams({ state: query.get("state") ?? "" });
if (query.get("code")) params.set("code", query.get("code"));
if (query.get("error")) params.set("error", query.get("error"));
try {
  const made = await api("GET", `/connections/consent/callback?${params}`);
  location.replace(`/connections?connected=${encodeURIComponent(connectionLabel(made))}`);
} catch (error) {
  show(outcome,
    h("p", { class: "error", role: "alert" }, errorText(error)),
    h("a", { class: "button", href: "/connections" }, "Back to connections"));
}
