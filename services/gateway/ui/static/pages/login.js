import { ApiError, api, onSubmit } from "../app.js";

const form = document.getElementById("login");
const totp = form.querySelector(".totp");

onSubmit(form, async ({ username, password, totp: code }) => {
  try {
    await api("POST", "/login", { username, password, ...(code ? { totp: code } : {}) });
  } catch (error) {
    if (error instanceof ApiError && /one-time code/.test(error.message) && totp.hidden) {
      totp.hidden = false;
      totp.querySelector("input").focus();
      throw new Error("Enter the code from your authenticator app.");
    }
    throw error;
  }
  const next = new URLSearchParams(location.search).get("next") ?? "/";
  // Only ever a path on this site, never another host.
  location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/");
});
