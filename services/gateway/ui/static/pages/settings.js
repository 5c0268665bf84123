import {
  api, attempt, badge, empty, failed, fill, h, onSubmit, secret, setTheme, show, toast, when,
} from "../app.js";

const themeForm = document.getElementById("theme");
const current = localStorage.getItem("tb-theme") ?? "system";
themeForm.querySelector(`[value="${current}"]`).checked = true;
themeForm.addEventListener("change", (event) => setTheme(event.target.value));

const totp = document.getElementById("totp");
const codeField = () => h("label", {}, "Code from the app",
  h("input", { name: "code", required: true, pattern: "[0-9]{6}", maxlength: 6, inputmode: "numeric", autocomplete: "one-time-code" }));

async function loadTotp() {
  const me = await api("GET", "/me");
  if (me.totp_enabled) {
    const form = h("form", { class: "stack" }, h("p", {}, badge("on"), " Log-ins ask for a code from your authenticator app."),
      codeField(), h("p", { class: "error", role: "alert", hidden: true }), h("button", { type: "submit" }, "Turn it off"));
    onSubmit(form, async ({ code }) => {
      await api("POST", "/me/totp/disable", { code });
      toast("Two-step log-in is off.");
      loadTotp();
    });
    show(totp, form);
  } else {
    const start = h("button", { type: "button" }, "Turn it on");
    start.addEventListener("click", async () => {
      const enrolment = await api("POST", "/me/totp");
      const form = h("form", { class: "stack" },
        h("p", {}, "Scan this code with your authenticator app (or add the key below), then type the code it shows."),
        h("img", { class: "qr", src: enrolment.qr_code, alt: "QR code of the key for your authenticator app", width: 180, height: 180 }),
        secret(enrolment.secret),
        h("a", { href: enrolment.otpauth_uri }, "Open in an authenticator app on this device"),
        codeField(), h("p", { class: "error", role: "alert", hidden: true }), h("button", { type: "submit", class: "primary" }, "Confirm"));
      onSubmit(form, async ({ code }) => {
        await api("POST", "/me/totp/confirm", { code });
        toast("Two-step log-in is on.");
        loadTotp();
      });
      show(totp, form);
    });
    show(totp, h("p", {}, "Ask for a code from an authenticator app at every log-in."), start);
  }
}
loadTotp().catch((error) => show(totp, failed(error)));

(async () => {
  const target = document.getElementById("health");
  const answer = await fetch("/api/v1/health").then((r) => r.json()).catch(() => null);
  if (!answer) show(target, failed(new Error("Tunebridge is not answering.")));
  else {
    const warnings = Object.values(answer.services).flatMap((s) => s.warnings ?? []);
    show(target,
      ...warnings.map((w) => h("p", { class: "error", role: "alert" }, w)),
      h("ul", { class: "plain" }, Object.entries(answer.services).map(([name, s]) =>
        h("li", { class: "spread" }, h("span", {}, name), badge(s.ready ? "ready" : "not_ready")))));
  }
  target.removeAttribute("aria-busy");
})();

const users = document.getElementById("users");
function loadUsers() {
  return fill(users, async () => {
    const [all, me] = await Promise.all([api("GET", "/users"), api("GET", "/me")]);
    return all.length ? h("ul", { class: "plain" }, all.map((u) => h("li", { class: "spread" },
      h("span", {}, h("strong", {}, u.username), u.is_admin ? " · administrator" : "", " · since ", when(u.created_at)),
      u.user_id === me.user_id ? h("span", { class: "muted" }, "you") : h("button", {
        type: "button", class: "danger", onclick: async () => {
          await attempt(async () => {
            await api("DELETE", `/users/${u.user_id}`);
            toast(`${u.username} is removed.`);
          });
          loadUsers();
        },
      }, "Remove")))) : empty("No users.");
  });
}
if (users) {
  loadUsers();
  onSubmit(document.getElementById("add-user"), async (v) => {
    await api("POST", "/users", { username: v.username, password: v.password, is_admin: v.is_admin });
    document.getElementById("add-user").reset();
    toast(`${v.username} can log in now.`);
    loadUsers();
  });
}
