// The liaison's live board: a websocket that resumes from the last event number it saw,
// rows sorted panic first, then verification level, then severity, then age; keyboard operable; never loses an event.
// Beside the rows, a map of the open escalations and the agency's sites (board-map.js); below them
// what was cleared recently; the full history in a drawer; filters and the density preference.
import { timeOfDay } from "./clock.js";
import { connectLive } from "./live.js";
import { createMap } from "./board-map.js";

const data = JSON.parse(document.getElementById("board-data").textContent);
const list = document.querySelector("[data-board-list]");
const panel = document.querySelector("[data-panel]");
const count = document.querySelector("[data-count]");
const soundToggle = document.querySelector("[data-sound]");
const csrf = document.cookie.match(/csrftoken=([^;]+)/)?.[1] ?? "";
const OPEN = new Set(["requested", "accepted", "dispatched", "on_scene"]);
const ENDED = new Set(["cleared", "cancelled", "rejected"]);
const filters = document.querySelector("[data-filters]");
const recentList = document.querySelector("[data-recent]");
const mapNote = document.querySelector("[data-map-note]");
const drawer = document.querySelector("[data-history-drawer]");
const drawerBody = document.querySelector("[data-history-body]");

const escalations = new Map(data.escalations.map((e) => [e.id, e]));
const recent = new Map(data.recent.map((e) => [e.id, e]));
const unread = new Set(data.unread);
const hint = panel.innerHTML;
const mapNoteText = mapNote.textContent;
let selected = null;
let panelFor = null;
const map = createMap(document.querySelector("[data-map]"), {
  sites: data.sites,
  tileUrl: data.tile_url,
  onSelect: (id) => select(id, true),
});

// The sound switch says its state in words ("Sound on" / "Sound off"); remembered on this screen.
const soundState = soundToggle.querySelector("[data-sound-state]");
const soundOn = () => soundToggle.getAttribute("aria-checked") === "true";
function setSound(on) {
  soundToggle.setAttribute("aria-checked", String(on));
  soundState.textContent = on ? "Sound on" : "Sound off";
  localStorage.setItem("board-sound", on ? "on" : "off");
}
setSound(localStorage.getItem("board-sound") === "on");
soundToggle.addEventListener("click", () => setSound(!soundOn()));

function beep() {
  if (!soundOn()) return;
  const audio = new AudioContext();
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.2, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.6);
}

const onBoard = (e) => OPEN.has(e.status) || e.panic_active;
// Panics first, then the most verified (TMA-AVS-01-shaped level, 4 = threat to life), then severity, then age.
const rank = (e) => [e.panic_active ? 0 : 1, -(e.verification_level ?? 1), e.incident.severity ?? 9, Date.parse(e.requested_at)];
function compare(a, b) {
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

// An age with its unit, three ways: short on screen ("4 min", "1 h 12 min"), long for a screen reader
// ("1 hour 12 minutes"), and an ISO 8601 duration for the <time> element's datetime ("PT1H12M").
function age(iso) {
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (seconds < 60) return { short: `${seconds} s`, long: plural(seconds, "second"), iso: `PT${seconds}S` };
  if (!h) return { short: `${m} min`, long: plural(m, "minute"), iso: `PT${m}M` };
  return {
    short: m ? `${h} h ${m} min` : `${h} h`,
    long: m ? `${plural(h, "hour")} ${plural(m, "minute")}` : plural(h, "hour"),
    iso: m ? `PT${h}H${m}M` : `PT${h}H`,
  };
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A live age: the short text is what the eye reads, the hidden one what a screen reader says
// ("for 4 minutes", "escalated 1 hour 12 minutes ago"); the start instant stays in data-age.
function ageNode(iso, className, title, spoken) {
  const node = el("time", className);
  node.dataset.age = iso;
  node.dataset.spoken = spoken;
  node.title = title;
  node.append(el("span", "age-short"), el("span", "visually-hidden age-long"));
  node.firstChild.setAttribute("aria-hidden", "true");
  showAge(node);
  return node;
}

function showAge(node) {
  const { short, long, iso } = age(node.dataset.age);
  node.dateTime = iso;
  node.firstChild.textContent = short;
  node.lastChild.textContent = node.dataset.spoken.replace("{}", long);
}

const ended = (e) => e.cleared_at ?? e.status_since;
// 24-hour, with the zone named, as the server writes times in the panel (README, "Time zones").
const clock = (iso, zone) => timeOfDay(new Date(iso), { timeZone: zone });

function row(e) {
  const closed = e.incident.status === "closed";
  const exercise = e.incident.exercise === "exercise";
  const item = el("li", `board-row sev-row-${e.incident.severity ?? 0}${e.panic_active ? " panic" : ""}${exercise ? " exercise" : ""}${closed ? " closed" : ""}`);
  item.dataset.id = e.id;
  if (e.id === selected) item.setAttribute("aria-current", "true");
  const button = el("button", "row-main");
  button.type = "button";
  const severity = e.incident.severity ? `Severity ${e.incident.severity}` : "No severity";
  if (e.incident.photo) {
    const photo = el("img", "thumb");
    photo.src = e.incident.photo;
    photo.alt = `Photo of ${e.incident.reference}`;
    photo.loading = "lazy";
    button.append(photo);
  } else {
    button.append(el("span", "thumb thumb-none", "No photo"));
  }
  const head = el("span", "row-head");
  // A drill's row says EXERCISE in words (and is striped); a real event during a drill says REAL.
  if (exercise) head.append(el("span", "badge exercise-badge", "EXERCISE"));
  else if (e.incident.exercise === "real") head.append(el("span", "badge real-badge", "REAL, not the drill"));
  if (e.panic_active) head.append(el("span", "badge sev sev-1 panic-badge", "PANIC"));
  head.append(
    el("span", `badge sev sev-${e.incident.severity ?? 4}`, severity),
    verificationBadge(e),
    el("span", "row-break"), // the reference starts the second line, whatever the badges' width
    el("span", "mono ref", e.incident.reference),
    el("span", "cat", e.incident.category ?? "Uncategorised"),
    el("span", "site", e.incident.site),
  );
  const facts = el("span", "row-facts");
  const police = el("span", "police-state");
  const since = e.status_label.toLowerCase();
  police.append(el("span", `badge state-${e.status}`, e.status_label), ageNode(e.status_since, "state-age mono", `Time since ${since}`, `${since} for {}`));
  facts.append(police);
  if (!closed) facts.append(el("span", `provider-review provider-review-${e.incident.status}`, e.incident.provider_review));
  if (e.is_panic && e.panic_cleared_at) {
    const by = e.panic_cleared_by ? ` by ${e.panic_cleared_by}` : "";
    facts.append(el("strong", "badge safe-badge", `Guard safe: panic cleared${by} at ${clock(e.panic_cleared_at, e.incident.time_zone)}`));
  }
  if (closed) {
    const at = e.incident.closed_at ? ` at ${clock(e.incident.closed_at, e.incident.time_zone)}` : "";
    facts.append(el("strong", "badge closed-badge", `Incident closed by the provider${at}`));
  }
  if (unread.has(e.id)) facts.append(el("span", "badge unread-badge", "✉ New message"));
  const body = el("span", "row-body");
  body.append(head, facts);
  button.append(body, ageNode(e.requested_at, "age mono", "Time since escalation", "escalated {} ago"));
  button.addEventListener("click", () => select(e.id, true));
  item.append(button);
  return item;
}

// How verified the call is, in words ("Verified: seen by a guard or on camera"); the standard's
// level (TMA-AVS-01) only in the tooltip. "not confirmed" until the provider's supervisor confirmed it.
function verificationBadge(e) {
  const level = e.verification_level ?? 1;
  const words = (e.verification_label ?? "").replace(/^\d+\s*·\s*/, "") || "Reported, not seen";
  const badge = el("span", "badge verification-level", words);
  // Compact rows keep "not confirmed" for a screen reader and in the tooltip, not on the line.
  if (!e.verification_confirmed) badge.append(el("span", "verification-suffix", " · not confirmed"));
  badge.title = `Alarm validation level ${level} of 4 (TMA-AVS-01)${e.verification_confirmed ? ", confirmed by the provider" : ", suggested from the report"}`;
  return badge;
}

// A cleared call in full: its reference, state and time, then where and what, then the disposition on
// a line of its own that wraps (cut with an ellipsis, it hid how the call ended).
function recentRow(e) {
  const item = el("li", "recent-row");
  item.dataset.id = e.id;
  const button = el("button", "recent-main");
  button.type = "button";
  const head = el("span", "recent-line");
  head.append(el("span", "mono ref", e.incident.reference), el("span", `badge state-${e.status}`, e.status_label));
  if (e.incident.status === "closed") head.append(el("span", "muted", "incident closed"));
  const at = el("time", "mono", clock(ended(e), e.incident.time_zone));
  at.dateTime = ended(e);
  head.append(at);
  const where = el("span", "recent-line");
  where.append(el("span", "site", e.incident.site), el("span", "cat", e.incident.category ?? "Uncategorised"));
  button.append(head, where);
  if (e.disposition) button.append(el("span", "disposition", e.disposition));
  button.addEventListener("click", () => { selected = e.id; loadPanel(e.id).then(() => panel.focus({ preventScroll: true })); });
  item.append(button);
  return item;
}

function chosen() {
  const form = new FormData(filters);
  return { site: form.get("site") || "", severity: form.get("severity") || "", state: form.get("state") || "" };
}

function matches(e, only) {
  if (only.site && String(e.incident.site_id) !== only.site) return false;
  if (only.severity && String(e.incident.severity) !== only.severity) return false;
  if (only.state === "panic") return e.panic_active;
  if (only.state && e.status !== only.state) return false;
  return true;
}

function renderRecent() {
  const cutoff = Date.now() - data.recent_hours * 3600 * 1000;
  const rows = [...recent.values()]
    .filter((e) => ENDED.has(e.status) && !onBoard(e) && Date.parse(ended(e)) >= cutoff)
    .sort((a, b) => Date.parse(ended(b)) - Date.parse(ended(a)));
  const empty = el("li", "muted recent-empty", `Nothing cleared in the last ${data.recent_hours} hours.`);
  recentList.replaceChildren(...(rows.length ? rows.map(recentRow) : [empty]));
}

function render() {
  const only = chosen();
  const open = [...escalations.values()].filter(onBoard).sort(compare);
  const rows = open.filter((e) => matches(e, only));
  const focused = list.contains(document.activeElement);
  if (selected && !rows.some((e) => e.id === selected) && panelFor !== selected) selected = null;
  const none = open.length ? "No open escalation matches the filters." : "No open escalations.";
  list.replaceChildren(...(rows.length ? rows.map(row) : [el("li", "muted board-empty", none)]));
  count.textContent = rows.length === open.length ? `${open.length} open` : `${rows.length} of ${open.length} open shown`;
  const { unplaced } = map.update(rows, selected);
  mapNote.textContent = unplaced ? `${mapNoteText} ${unplaced} without a position on the map.` : mapNoteText;
  renderRecent();
  // Redrawing the rows must not throw a keyboard user's focus back to the top of the page.
  if (focused) (list.querySelector(`[data-id="${selected}"] button`) ?? list).focus({ preventScroll: true });
}

setInterval(() => { document.querySelectorAll("[data-age]").forEach(showAge); }, 1000);

const messageBox = () => panel.querySelector("[data-message-form] textarea");

let panelLoads = 0;
let panelLoad = Promise.resolve();
let sentMessage = null; // the id of the message the liaison just sent: shown in its thread once drawn

// The thread beside the message box reads latest last: it opens scrolled to its end. A message just
// sent is brought into the panel's view (the panel scrolls inside itself, never the page).
function settleThread() {
  const thread = panel.querySelector("[data-thread]");
  if (!thread) return;
  thread.scrollTop = thread.scrollHeight;
  const sent = sentMessage && thread.querySelector(`[data-message="${sentMessage}"]`);
  if (!sent) return;
  const shown = panel.getBoundingClientRect();
  const box = sent.getBoundingClientRect();
  if (box.bottom > shown.bottom) panel.scrollTop += box.bottom - shown.bottom + 8;
  else if (box.top < shown.top) panel.scrollTop -= shown.top - box.top + 8;
}

function loadPanel(id) {
  const load = ++panelLoads;
  panelLoad = (async () => {
    const response = await fetch(`/board/escalations/${id}/`, { headers: { Accept: "text/html" } }).catch(() => null);
    const html = response?.ok ? await response.text() : null;
    if (load !== panelLoads || !response) return; // never draw over a later load; offline: keep what is shown
    if (html === null) { panel.textContent = "This escalation is no longer available."; return; }
    if (unread.delete(id)) render(); // the server marked it read as it drew the details
    if (panelFor !== id) sentMessage = null;
    // A message being typed survives the redraw that a new event or message causes.
    const box = messageBox();
    const draft = panelFor === id && box ? box.value : "";
    const typing = box !== null && document.activeElement === box;
    panel.innerHTML = html; // server-rendered, escaped by Django templates
    panelFor = id;
    const fresh = messageBox();
    if (fresh && draft) fresh.value = draft;
    if (fresh && typing) fresh.focus({ preventScroll: true });
    settleThread();
  })();
  return panelLoad;
}

async function openSelected() {
  if (selected && panelFor !== selected) loadPanel(selected);
  for (let load = null; load !== panelLoad;) { load = panelLoad; await load; } // the latest one drawn
  return panelFor === selected;
}

function select(id, open = false) {
  selected = id;
  list.querySelectorAll(".board-row").forEach((node) => {
    if (node.dataset.id === id) node.setAttribute("aria-current", "true");
    else node.removeAttribute("aria-current");
  });
  list.querySelector(`[data-id="${id}"] button`)?.focus({ preventScroll: true });
  document.querySelectorAll("[data-marker]").forEach((node) => node.classList.toggle("marker-selected", node.dataset.marker === id));
  if (open) loadPanel(id).then(() => panel.focus({ preventScroll: true }));
}

function move(step) {
  const ids = [...list.querySelectorAll(".board-row")].map((node) => node.dataset.id);
  if (!ids.length) return;
  const index = ids.indexOf(selected);
  const id = ids[Math.min(ids.length - 1, Math.max(0, index + step))] ?? ids[0];
  select(id);
  list.querySelector(`[data-id="${id}"]`)?.scrollIntoView({ block: "nearest" }); // the least scroll that shows it
}

async function act(form) {
  const data = new FormData(form);
  const message = form.matches("[data-message-form]");
  if (message) form.reset(); // now, so that the redraw the message itself causes does not bring it back
  const response = await fetch(form.action, {
    method: "POST",
    body: data,
    headers: { Accept: "application/json", "X-CSRFToken": csrf },
  }).catch(() => null);
  const body = await response?.json().catch(() => ({}));
  if (!response?.ok) {
    const box = messageBox();
    if (message && box && !box.value) box.value = data.get("text");
    const note = el("p", "message message-error", body?.detail ?? "That did not work. Try again.");
    note.setAttribute("role", "alert");
    panel.querySelector(".panel-body")?.prepend(note);
    return;
  }
  if (body.id) { escalations.set(body.id, body); render(); }
  if (message && body.message) sentMessage = body.message;
  if (message) messageBox()?.focus({ preventScroll: true }); // ready for the next line: a redraw keeps it
  if (panelFor) await loadPanel(panelFor);
  if (message) {
    messageBox()?.focus({ preventScroll: true });
    settleThread();
    // The socket's own redraw for this message comes soon after; later redraws leave the panel be.
    const sent = sentMessage;
    setTimeout(() => { if (sentMessage === sent) sentMessage = null; }, 5000);
  }
}

panel.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  event.preventDefault();
  act(form);
});

// A key acts on the selected row, whose details open first if they are not open yet.
async function submitAction(name) {
  if (!(await openSelected())) return;
  const form = panel.querySelector(`[data-act="${name}"]`);
  if (!form) return;
  const required = form.querySelector("input[required]");
  if (required && !required.value.trim()) { required.focus(); return; }
  act(form);
}

document.addEventListener("keydown", (event) => {
  const typing = event.target.closest?.("input, textarea, select");
  if (drawer.open) return; // the drawer's own keys: Escape closes it
  if (event.key === "Escape") { panel.innerHTML = hint; panelFor = null; list.querySelector(`[data-id="${selected}"] button`)?.focus(); return; }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const keys = {
    j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
    Enter: () => selected && select(selected, true),
    a: () => submitAction("accept"), d: () => submitAction("dispatch"), o: () => submitAction("on_scene"),
    r: () => submitAction("reject"), c: () => submitAction("clear"),
    m: () => openSelected().then(() => messageBox()?.focus()),
    s: () => setSound(!soundOn()),
    h: () => openHistory(historyLink.href),
  };
  const handler = keys[event.key];
  if (!handler) return;
  if (event.key === "Enter" && event.target.closest?.("button, a")) return;
  event.preventDefault();
  handler();
});

document.querySelector("[data-help]").addEventListener("click", (event) => {
  const keys = document.getElementById("keys");
  keys.hidden = !keys.hidden;
  event.currentTarget.setAttribute("aria-expanded", String(!keys.hidden));
});

// Filters apply at once, and stay in the address so that a reload keeps them.
function applyFilters() {
  const query = new URLSearchParams(Object.entries(chosen()).filter(([, value]) => value)).toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
  render();
}
filters.addEventListener("change", applyFilters);
filters.addEventListener("submit", (event) => { event.preventDefault(); applyFilters(); });
filters.querySelector("[data-filter-reset]").addEventListener("click", (event) => {
  event.preventDefault();
  filters.querySelectorAll("select").forEach((select) => { select.value = ""; });
  applyFilters();
});
filters.querySelector("[data-filter-apply]").hidden = true; // no need to press anything

// Density: a preference of the user's, kept on the server.
const densityForm = document.querySelector("[data-density-form]");
densityForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const density = event.submitter?.value;
  const body = new FormData();
  body.append("density", density);
  const response = await fetch(densityForm.action, {
    method: "POST", body, headers: { Accept: "application/json", "X-CSRFToken": csrf },
  }).catch(() => null);
  if (!response?.ok) return;
  const saved = (await response.json()).density;
  document.body.classList.remove("density-compact", "density-comfortable");
  document.body.classList.add(`density-${saved}`);
  densityForm.querySelectorAll("button").forEach((button) => button.setAttribute("aria-pressed", String(button.value === saved)));
});

// The agency's full history in a drawer over the board: the board keeps running underneath.
const historyLink = document.querySelector("[data-history]");
async function openHistory(href) {
  const url = new URL(href, location.href);
  url.searchParams.set("fragment", "1");
  if (!drawer.open) drawer.showModal();
  const response = await fetch(url, { headers: { Accept: "text/html" } }).catch(() => null);
  drawerBody.innerHTML = response?.ok ? await response.text() : "<p>The history could not be loaded. Try again.</p>"; // server-rendered, escaped
  drawerBody.querySelector("select, a, button")?.focus();
}
historyLink.addEventListener("click", (event) => { event.preventDefault(); openHistory(historyLink.href); });
document.querySelector("[data-history-close]").addEventListener("click", () => drawer.close());
drawer.addEventListener("close", () => historyLink.focus());
drawerBody.addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  openHistory(`${form.action}?${new URLSearchParams(new FormData(form))}`);
});
drawerBody.addEventListener("click", (event) => {
  const page = event.target.closest("[data-history-page]");
  if (page) { event.preventDefault(); openHistory(page.href); return; }
  const open = event.target.closest("[data-open-escalation]");
  if (open) {
    event.preventDefault();
    drawer.close();
    selected = open.dataset.openEscalation;
    loadPanel(selected).then(() => panel.focus({ preventScroll: true }));
  }
});

connectLive({
  path: "/ws/board/",
  indicator: document.querySelector("[data-connection]"),
  resumeFrom: data.last,
  onEvent(frame) {
    if (!frame.escalation) return;
    const id = frame.escalation.id;
    const known = escalations.has(id);
    escalations.set(id, frame.escalation);
    if (ENDED.has(frame.escalation.status)) recent.set(id, frame.escalation);
    if (frame.event === "escalation.requested" && !known && (frame.escalation.incident.severity === 1 || frame.escalation.is_panic)) beep();
    if (frame.event === "message.posted" && frame.message?.side === "provider" && panelFor !== id) unread.add(id);
    render();
    if (panelFor === frame.escalation.id && frame.event !== "escalation.requested") loadPanel(panelFor);
  },
});
render();
