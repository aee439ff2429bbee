// The incident page, live: the police response and messages arrive without reloading.
import { connectLive } from "./live.js";

const incident = document.getElementById("incident-live").dataset.incident;
const indicator = document.querySelector("[data-live-status] [data-connection]");
const csrf = document.cookie.match(/csrftoken=([^;]+)/)?.[1] ?? "";
let opened = false;

async function refresh() {
  // After a reconnect, redraw the live sections from the server: nothing missed stays missed.
  const response = await fetch(location.href, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const selector of ["[data-live-status]", "[data-live-timeline] .timeline"]) {
    const fresh = page.querySelector(selector);
    const current = document.querySelector(selector);
    if (fresh && current) {
      const keepIndicator = current.querySelector("[data-connection]");
      current.replaceWith(fresh);
      if (keepIndicator) fresh.querySelector("[data-connection]")?.replaceWith(keepIndicator);
    }
  }
  bindMessageForm();
}

function bindMessageForm() {
  const form = document.querySelector("[data-live-status] [data-message-form]");
  if (!form || form.dataset.bound) return;
  form.dataset.bound = "1";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), headers: { Accept: "application/json", "X-CSRFToken": csrf },
    });
    if (response.ok) form.querySelector("textarea").value = "";
  });
}

if (indicator) indicator.hidden = false;
bindMessageForm();
connectLive({
  path: `/ws/incidents/${incident}/`,
  indicator,
  onOpen() { if (opened) refresh(); opened = true; },
  onEvent(frame) {
    if (frame.event?.startsWith("escalation.") || frame.event === "message.posted") refresh();
  },
});
