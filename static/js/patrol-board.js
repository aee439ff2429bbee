// Patrol panels, live: the supervisors' board over /ws/patrols/board/ and the agency's joint patrols
// over /ws/patrols/joint/. Each push (a shift started or ended, a scan, a check-in, an alert, a
// missed round, a report) fetches the panel again from the server, which renders it under its own
// access rules; the panel is polled every 10 seconds only while the socket is down. It is not
// redrawn while someone is typing in it or has a form of it unfolded (start a shift for a guard):
// the redraw waits until it is folded again.
import { connectLive } from "./live.js";

const POLL_MS = 10000;
const panel = document.querySelector("[data-board-panel]");

function typing() {
  const focused = panel.contains(document.activeElement) && document.activeElement.matches("input, select, textarea");
  return focused || panel.querySelector("details[open]") !== null;
}

// Pushes that arrive while a fetch runs (a busy provider's many scans) cost one more fetch, not one each.
let fetching = false;
let again = false;

let deferred = false;

async function refresh() {
  if (typing()) { deferred = true; return; }
  if (fetching) { again = true; return; }
  fetching = true;
  try {
    const response = await fetch(panel.dataset.url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    const html = response.ok ? await response.text() : null;
    // A redraw asked for before the supervisor unfolded a form or began typing lands after: it
    // waits too (it closed the form over what was typed when the socket's first fetch came back late).
    if (html !== null && typing()) deferred = true;
    else if (html !== null) panel.innerHTML = html;
  } catch (error) {
    // The next push or tick tries again; the page still shows the last panel.
  } finally {
    fetching = false;
    if (again) { again = false; refresh(); }
  }
}

if (panel) {
  // "toggle" does not bubble: listen in the capture phase for any folded form of the panel.
  panel.addEventListener("toggle", (event) => {
    if (deferred && !event.target.open) { deferred = false; refresh(); }
  }, true);
  let poll = null;
  const stopPolling = () => { clearInterval(poll); poll = null; };
  connectLive({
    path: panel.dataset.socket,
    indicator: document.querySelector("[data-connection]"),
    onEvent: () => refresh(),
    // Whatever moved while the socket was down: fetch once on every (re)connect, then stop polling.
    onOpen: () => { stopPolling(); refresh(); },
    onDown: (event) => {
      if (event.code === 4401 || event.code === 4403) { stopPolling(); return; }
      poll ??= window.setInterval(refresh, POLL_MS);
    },
  });
}
