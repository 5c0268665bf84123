// What every page shares: calling the API, building elements safely, forms, errors,
// live updates. No framework: the pages are small and the API does the work.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

/** An answer of the API that is not a success, with its problem details. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `the server answered ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

/** Calls the API as the logged-in person; JSON in, JSON (or nothing) out. */
export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-csrf-token"] = csrf;
  let answer;
  try {
    answer = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { detail: "Tunebridge is not answering: is it still running?" });
  }
  if (answer.status === 401 && !location.pathname.match(/^\/(login|setup)$/)) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

/** An element with attributes and children; text is always text, never HTML. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "style") element.style.cssText = value; // CSSOM: allowed by the CSP
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** Replaces what ``target`` shows. */
export function show(target, ...children) {
  target.replaceChildren(...children.flat().filter(Boolean));
}

/** A friendly, short message. */
export function toast(message, kind = "info") {
  const box = document.querySelector(".toasts");
  const item = h("p", { class: `toast ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}

// The latest fill of each element: an earlier one answered later is not shown over it.
const fills = new WeakMap();

/** Shows what ``load`` makes in ``target``, or why it failed; the target is busy till then. */
export async function fill(target, load) {
  const turn = (fills.get(target) ?? 0) + 1;
  fills.set(target, turn);
  target.setAttribute("aria-busy", "true");
  let content;
  try {
    content = await load();
  } catch (error) {
    content = failed(error);
  }
  // A page loads its list, and loads it again after a change: should the first answer
  // arrive last, it would show the list as it was before the change.
  if (fills.get(target) !== turn) return;
  show(target, content);
  target.removeAttribute("aria-busy");
}

/** Does ``act``; a refusal is said in a toast (for buttons outside forms). */
export async function attempt(act) {
  try {
    await act();
  } catch (error) {
    toast(error.message, "bad");
  }
}

/** A value shown once (a token, a secret, an address), with a button that copies it.
 * The clipboard API needs a secure page (https or this machine); elsewhere the text is
 * selected and copied the older way, or left selected for the person to copy. */
export function secret(value, attributes = {}) {
  const code = h("code", { class: "secret", ...attributes }, value);
  const button = h("button", { type: "button", class: "copy" }, "Copy");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      getSelection().selectAllChildren(code);
      if (!document.execCommand("copy")) {
        toast("Copying was not allowed here: the text is selected, copy it yourself.", "bad");
        return;
      }
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
  return h("div", { class: "copyable" }, code, button);
}

/** What to show when something is empty: what it is, and what to do next. */
export function empty(message, action) {
  return h("div", { class: "empty" }, h("p", {}, message), action ?? null);
}

/** An error where a list would be. */
export function failed(error) {
  return h("p", { class: "error", role: "alert" }, errorText(error));
}

export function errorText(error) {
  const fields = (error.problem?.errors ?? [])
    .map((e) => `${e.field ?? "request"}: ${e.message}`)
    .join("; ");
  return fields ? `${error.message} (${fields})` : error.message;
}

/** Runs ``handler`` on submit: the button waits, an error shows in the form. */
export function onSubmit(form, handler) {
  // The page's forms come with their buttons disabled until this point (see macros.html).
  for (const button of form.querySelectorAll('[type="submit"]')) button.disabled = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = form.querySelector(".error");
    const button = event.submitter ?? form.querySelector('[type="submit"]');
    if (error) error.hidden = true;
    form.querySelectorAll("[aria-invalid]").forEach((f) => f.removeAttribute("aria-invalid"));
    if (!form.checkValidity()) {
      const bad = form.querySelector(":invalid");
      bad.setAttribute("aria-invalid", "true");
      report(form, bad.validationMessage || "Please check this field.", bad);
      return;
    }
    if (button) button.disabled = true;
    try {
      await handler(values(form), button);
    } catch (failure) {
      const fields = failure.problem?.errors ?? [];
      for (const f of fields) {
        const name = String(f.field ?? "").split(".").pop();
        form.querySelector(`[name="${CSS.escape(name)}"]`)?.setAttribute("aria-invalid", "true");
      }
      report(form, failure instanceof ApiError ? errorText(failure) : String(failure));
    } finally {
      if (button) button.disabled = false;
    }
  });
}

function report(form, message, field) {
  const error = form.querySelector(".error");
  if (error) {
    error.textContent = message;
    error.hidden = false;
  } else toast(message, "bad");
  (field ?? error)?.focus?.();
}

/** A form's fields as a plain object (checkboxes as booleans, numbers as numbers). */
export function values(form) {
  const out = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    if (field.type === "checkbox") out[field.name] = field.checked;
    else if (field.type === "radio") {
      if (field.checked) out[field.name] = field.value;
    } else if (field.type === "number") {
      if (field.value !== "") out[field.name] = Number(field.value);
    } else out[field.name] = field.value.trim();
  }
  return out;
}

/** Follows a server-sent event stream of JSON views (``update``... then ``end``). */
export function follow(path, onView) {
  const source = new EventSource(`/api/v1${path}`);
  source.addEventListener("update", (event) => onView(JSON.parse(event.data)));
  source.addEventListener("end", (event) => {
    source.close();
    const view = JSON.parse(event.data);
    if (view !== null) onView(view);
  });
  return source;
}

/** A progress bar of fixed size: only its fill changes, so nothing around it moves. */
export function progressBar(label, fraction) {
  const percent = fraction === null || fraction === undefined ? null : Math.round(fraction * 100);
  return h(
    "div",
    {
      class: `progress${percent === null ? " indeterminate" : ""}`,
      role: "progressbar",
      "aria-label": label,
      "aria-valuemin": "0",
      "aria-valuemax": "100",
      "aria-valuenow": percent === null ? undefined : String(percent),
    },
    h("span", { style: `width:${percent ?? 100}%` }),
  );
}

export function setProgress(bar, fraction) {
  const percent = fraction === null || fraction === undefined ? null : Math.round(fraction * 100);
  bar.classList.toggle("indeterminate", percent === null);
  if (percent === null) bar.removeAttribute("aria-valuenow");
  else bar.setAttribute("aria-valuenow", String(percent));
  bar.firstChild.style.width = `${percent ?? 100}%`;
}

/** A status as a small badge. */
export function badge(status) {
  return h("span", { class: `badge ${status}` }, status.replaceAll("_", " "));
}

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return h("time", { datetime: iso, title: date.toLocaleString() }, date.toLocaleString());
}

export function duration(ms) {
  if (!ms) return "";
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export function artists(track) {
  return (track.artists ?? []).join(", ");
}

/** Cover art in a box of fixed size (a placeholder when there is none, or it fails). */
export function artwork(urls, size = 48) {
  const url = (urls ?? []).find((u) => /^https?:\/\//.test(u));
  const box = h("span", { class: "art", style: `width:${size}px;height:${size}px` });
  if (url) {
    const img = h("img", { src: url, alt: "", width: size, height: size, loading: "lazy" });
    img.addEventListener("error", () => img.remove());
    box.append(img);
  }
  return box;
}

/** A connection's name as a person knows it. */
export function connectionLabel(c) {
  const who = c.display_name || c.account_id;
  return who ? `${providerName(c.provider)} · ${who}` : providerName(c.provider);
}

/** The connectors' names of services, as the page was given them (the registry's). */
const PROVIDER_NAMES = JSON.parse(document.getElementById("provider-names")?.textContent || "{}");

/** A service as people know it ("YouTube Music"), never its key ("ytmusic"). */
export function providerName(name) {
  const known = { youtube: "YouTube", ...PROVIDER_NAMES };
  return known[name] ?? (name ? name[0].toUpperCase() + name.slice(1) : "");
}

/** Opens a modal dialog; Escape and "Close" close it, focus returns where it was. */
export function dialog(title, ...children) {
  const box = h(
    "dialog",
    { "aria-labelledby": "dialog-title" },
    h("header", {}, h("h2", { id: "dialog-title" }, title),
      h("button", { type: "button", class: "quiet", "aria-label": "Close", onclick: () => box.close() }, "✕")),
    ...children,
  );
  // Gone as soon as it is closed: the close event comes a moment later, and until then a
  // closed dialog's fields (its "Search for an artist") were still in the page (seen in CI).
  const close = box.close.bind(box);
  box.close = (value) => {
    close(value);
    box.remove();
  };
  box.addEventListener("close", () => box.remove());
  document.body.append(box);
  box.showModal();
  return box;
}

/** Asks before something that cannot be undone; ``act`` runs on yes (its error is shown). */
export function confirmDialog(title, text, yes, act) {
  const box = dialog(title, h("p", {}, text),
    h("div", { class: "row end" },
      h("button", { type: "button", onclick: () => box.close() }, "Keep it"),
      h("button", {
        type: "button", class: "danger", onclick: async () => {
          await attempt(act);
          box.close();
        },
      }, yes)));
}

// The header: menu on a phone, theme, log out.
document.querySelector(".menu-toggle")?.addEventListener("click", (event) => {
  const open = event.currentTarget.getAttribute("aria-expanded") !== "true";
  event.currentTarget.setAttribute("aria-expanded", String(open));
  document.getElementById("nav").classList.toggle("open", open);
});
document.querySelector('[data-action="theme"]')?.addEventListener("click", () => {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === "dark"
    : matchMedia("(prefers-color-scheme: dark)").matches;
  setTheme(dark ? "light" : "dark");
});
document.querySelector('[data-action="logout"]')?.addEventListener("click", async () => {
  await api("POST", "/logout").catch(() => null);
  location.assign("/login");
});
for (const wired of document.querySelectorAll('.account [data-action]')) wired.disabled = false;

/** "light", "dark", or "system". */
export function setTheme(theme) {
  if (theme === "system") {
    localStorage.removeItem("tb-theme");
    delete document.documentElement.dataset.theme;
  } else {
    localStorage.setItem("tb-theme", theme);
    document.documentElement.dataset.theme = theme;
  }
}
