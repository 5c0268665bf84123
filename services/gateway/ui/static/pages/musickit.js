import { api, errorText, h, show } from "../app.js";

// The sign-in with Apple: the connectors hand over the installation's developer token,
// Apple's MusicKit JS asks the person (in Apple's own window) and gives back their
// Music-User-Token, which goes straight to the connectors to be sealed.
const outcome = document.getElementById("outcome");
const button = document.getElementById("sign-in");

/** MusicKit once Apple's script has loaded (it announces itself with an event). */
function musicKit(within = 15000) {
  if (window.MusicKit) return Promise.resolve(window.MusicKit);
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail("Apple's sign-in script did not load: try again, " +
      "or check that js-cdn.music.apple.com is reachable from this browser."), within);
    document.addEventListener("musickitloaded", () => {
      clearTimeout(timer);
      done(window.MusicKit);
    }, { once: true });
  });
}

async function signIn() {
  button.disabled = true;
  show(outcome, h("p", {}, "Waiting for Apple…"));
  try {
    const started = await api("POST", "/connections/consent", { provider: "applemusic" });
    const kit = await musicKit();
    await kit.configure({ developerToken: started.developer_token, app: { name: "Tunebridge" } });
    const token = await kit.getInstance().authorize();
    if (!token) throw "Apple gave no token: the sign-in was cancelled.";
    await api("POST", "/connections", { provider: "applemusic", access_token: token });
    location.assign(`/connections?connected=${encodeURIComponent("Apple Music")}`);
  } catch (error) {
    show(outcome, h("p", { class: "error", role: "alert" }, errorText(error)));
    button.disabled = false;
  }
}

button.addEventListener("click", signIn);
