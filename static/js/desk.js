// The supervisor's live desk (their home): when the navigation's socket says a panic, an escalation
// or a report of the provider changed, the panels are fetched again from the server and put in
// place. The markup is the server's own template; nothing a client typed becomes markup here.
import { timeOfDay } from "./clock.js";

const desk = document.querySelector("[data-desk]");
const panels = desk?.querySelector("[data-desk-panels]");
const status = desk?.querySelector("[data-desk-status]");
let pending = null;
// The desk is the supervisor's own view: its "Updated" time is in their zone, named (README "Time zones").
const zone = document.documentElement.dataset.timeZone || undefined;

async function refresh(detail) {
  const response = await fetch(desk.dataset.deskUrl, {
    headers: { Accept: "text/html" },
    credentials: "same-origin",
  });
  if (!response.ok) return;
  const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
  panels.replaceChildren(...parsed.body.childNodes);
  if (status && detail?.reference) {
    status.textContent = `Updated ${timeOfDay(new Date(), { seconds: true, timeZone: zone })} (${detail.reference})`;
  }
}

function soon(event) {
  // Several changes in a burst are fetched once.
  clearTimeout(pending);
  pending = setTimeout(() => refresh(event.detail), 150);
}

if (desk && panels) {
  document.addEventListener("watchpost:triage", soon);
  document.addEventListener("watchpost:desk", soon);
}
