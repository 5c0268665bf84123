import { api, onSubmit } from "../app.js";

onSubmit(document.getElementById("setup"), async ({ username, password, again }) => {
  if (password !== again) throw new Error("The two passwords differ.");
  await api("POST", "/setup", { username, password });
  await api("POST", "/login", { username, password });
  location.assign("/connections");
});
