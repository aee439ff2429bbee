// The incident page, live: the police response and messages arrive without reloading.
import { connectLive } from "./live.js";

const incident = document.getElementById("incident-live").dataset.incident;
const indicator = document.querySelector("[data-live-status] [data-connection]");
const csrf = document.cookie.match(/csrftoken=([^;]+)/)?.[1] ?? "";
let opened = false;

const messageBox = () => document.querySelector("[data-live-status] [data-message-form] textarea");

let refreshes = 0;

async function refresh() {
  // After a reconnect, redraw the live sections from the server: nothing missed stays missed.
  const mine = ++refreshes;
  const response = await fetch(location.href, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const html = await response.text();
  if (mine !== refreshes) return; // a later refresh (newer events) is on its way: never draw an older one
  const page = new DOMParser().parseFromString(html, "text/html");
  // A message being typed survives the redraw.
  const box = messageBox();
  const draft = box?.value ?? "";
  const typing = Boolean(box) && document.activeElement === box;
  for (const selector of [".incident-header", "[data-live-status]", "[data-live-timeline] .timeline"]) {
    const fresh = page.querySelector(selector);
    const current = document.querySelector(selector);
    if (fresh && current) {
      const keepIndicator = current.querySelector("[data-connection]");
      current.replaceWith(fresh);
      if (keepIndicator) fresh.querySelector("[data-connection]")?.replaceWith(keepIndicator);
    }
  }
  const fresh = messageBox();
  if (fresh && draft) fresh.value = draft;
  if (fresh && typing) fresh.focus();
  bindMessageForm();
}

function bindMessageForm() {
  const form = document.querySelector("[data-live-status] [data-message-form]");
  if (!form || form.dataset.bound) return;
  form.dataset.bound = "1";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData(form);
    form.reset(); // now, so that the redraw the message itself causes does not bring it back
    const response = await fetch(form.action, {
      method: "POST", body, headers: { Accept: "application/json", "X-CSRFToken": csrf },
    }).catch(() => null);
    if (response?.ok) return;
    const box = messageBox();
    if (box && !box.value) box.value = body.get("text");
    const reason = response ? (await response.json().catch(() => ({}))).detail : null;
    const note = document.createElement("p");
    note.className = "message message-error";
    note.setAttribute("role", "alert");
    note.textContent = reason ?? "Not sent: no network. Send it again.";
    box?.closest("form")?.prepend(note);
  });
}

if (indicator) indicator.hidden = false;
bindMessageForm();
connectLive({
  path: `/ws/incidents/${incident}/`,
  indicator,
  onOpen() { if (opened) refresh(); opened = true; },
  onEvent(frame) {
    if (/^(escalation|incident|panic)\.|^message\.posted$/.test(frame.event ?? "")) refresh();
  },
});
