// The live triage queue: when the navigation's socket says the provider's queue changed, the rows
// are fetched again from the server (same page, rows only) and put in place. The markup is the
// server's own template; nothing a client typed is turned into markup here.
import { timeOfDay } from "./clock.js";

const rows = document.querySelector("[data-triage-rows]");
const status = document.querySelector("[data-triage-status]");
let pending = null;

async function refresh(detail) {
  const response = await fetch(`${location.pathname}?rows=1`, {
    headers: { Accept: "text/html" },
    credentials: "same-origin",
  });
  if (!response.ok) return;
  const parsed = new DOMParser().parseFromString(await response.text(), "text/html");
  rows.replaceChildren(...parsed.body.childNodes);
  if (status && detail?.reference) {
    status.textContent = `${detail.reference} is now ${String(detail.status).replace("_", " ")} · ${timeOfDay(new Date(), { seconds: true, timeZone: document.documentElement.dataset.timeZone || undefined })}`;
  }
}

if (rows) {
  document.addEventListener("watchpost:triage", (event) => {
    // Several changes in a burst are fetched once.
    clearTimeout(pending);
    pending = setTimeout(() => refresh(event.detail), 150);
  });
}
