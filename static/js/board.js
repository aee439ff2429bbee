// The liaison's live board: a websocket that resumes from the last event number it saw,
// rows sorted panic first, then severity, then age; keyboard operable; never loses an event.
import { connectLive } from "./live.js";

const data = JSON.parse(document.getElementById("board-data").textContent);
const list = document.querySelector("[data-board-list]");
const panel = document.querySelector("[data-panel]");
const count = document.querySelector("[data-count]");
const soundToggle = document.querySelector("[data-sound]");
const csrf = document.cookie.match(/csrftoken=([^;]+)/)?.[1] ?? "";
const OPEN = new Set(["requested", "accepted", "dispatched", "on_scene"]);

const escalations = new Map(data.escalations.map((e) => [e.id, e]));
const hint = panel.innerHTML;
let selected = null;
let panelFor = null;

soundToggle.checked = localStorage.getItem("board-sound") === "on";
soundToggle.addEventListener("change", () => localStorage.setItem("board-sound", soundToggle.checked ? "on" : "off"));

function beep() {
  if (!soundToggle.checked) return;
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
const rank = (e) => [e.panic_active ? 0 : 1, e.incident.severity ?? 9, Date.parse(e.requested_at)];
function compare(a, b) {
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

function age(iso) {
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}:${String(s).padStart(2, "0")}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function row(e) {
  const item = el("li", `board-row sev-row-${e.incident.severity ?? 0}${e.panic_active ? " panic" : ""}`);
  item.dataset.id = e.id;
  if (e.id === selected) item.setAttribute("aria-current", "true");
  const button = el("button", "row-main");
  button.type = "button";
  const severity = e.incident.severity ? `Severity ${e.incident.severity}` : "No severity";
  if (e.panic_active) button.append(el("span", "badge sev sev-1 panic-badge", "PANIC"));
  button.append(
    el("span", `badge sev sev-${e.incident.severity ?? 4}`, severity),
    el("span", "mono ref", e.incident.reference),
    el("span", "cat", e.incident.category ?? "Uncategorised"),
    el("span", "site", e.incident.site),
    el("span", `badge state-${e.status}`, e.status_label),
  );
  const ageNode = el("time", "age mono", age(e.requested_at));
  ageNode.dataset.age = e.requested_at;
  ageNode.dateTime = e.requested_at;
  ageNode.title = "Time since escalation";
  button.append(ageNode);
  button.addEventListener("click", () => select(e.id, true));
  item.append(button);
  return item;
}

function render() {
  const rows = [...escalations.values()].filter(onBoard).sort(compare);
  const focused = list.contains(document.activeElement);
  if (selected && !rows.some((e) => e.id === selected)) selected = null;
  list.replaceChildren(...(rows.length ? rows.map(row) : [el("li", "muted board-empty", "No open escalations.")]));
  count.textContent = `${rows.length} open`;
  // Redrawing the rows must not throw a keyboard user's focus back to the top of the page.
  if (focused) (list.querySelector(`[data-id="${selected}"] button`) ?? list).focus();
}

setInterval(() => {
  document.querySelectorAll("[data-age]").forEach((node) => { node.textContent = age(node.dataset.age); });
}, 1000);

const messageBox = () => panel.querySelector("[data-message-form] textarea");

let panelLoads = 0;
let panelLoad = Promise.resolve();

function loadPanel(id) {
  const load = ++panelLoads;
  panelLoad = (async () => {
    const response = await fetch(`/board/escalations/${id}/`, { headers: { Accept: "text/html" } }).catch(() => null);
    const html = response?.ok ? await response.text() : null;
    if (load !== panelLoads || !response) return; // never draw over a later load; offline: keep what is shown
    if (html === null) { panel.textContent = "This escalation is no longer available."; return; }
    // A message being typed survives the redraw that a new event or message causes.
    const box = messageBox();
    const draft = panelFor === id && box ? box.value : "";
    const typing = box !== null && document.activeElement === box;
    panel.innerHTML = html; // server-rendered, escaped by Django templates
    panelFor = id;
    const fresh = messageBox();
    if (fresh && draft) fresh.value = draft;
    if (fresh && typing) fresh.focus();
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
  list.querySelector(`[data-id="${id}"] button`)?.focus();
  if (open) loadPanel(id).then(() => panel.focus());
}

function move(step) {
  const ids = [...list.querySelectorAll(".board-row")].map((node) => node.dataset.id);
  if (!ids.length) return;
  const index = ids.indexOf(selected);
  select(ids[Math.min(ids.length - 1, Math.max(0, index + step))] ?? ids[0]);
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
  if (panelFor) await loadPanel(panelFor);
  if (message) messageBox()?.focus(); // ready for the next line of the conversation
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
  if (event.key === "Escape") { panel.innerHTML = hint; panelFor = null; list.querySelector(`[data-id="${selected}"] button`)?.focus(); return; }
  if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
  const keys = {
    j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
    Enter: () => selected && select(selected, true),
    a: () => submitAction("accept"), d: () => submitAction("dispatch"), o: () => submitAction("on_scene"),
    r: () => submitAction("reject"), c: () => submitAction("clear"),
    m: () => openSelected().then(() => messageBox()?.focus()),
    s: () => { soundToggle.checked = !soundToggle.checked; soundToggle.dispatchEvent(new Event("change")); },
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

connectLive({
  path: "/ws/board/",
  indicator: document.querySelector("[data-connection]"),
  resumeFrom: data.last,
  onEvent(frame) {
    if (!frame.escalation) return;
    const known = escalations.has(frame.escalation.id);
    escalations.set(frame.escalation.id, frame.escalation);
    if (frame.event === "escalation.requested" && !known && (frame.escalation.incident.severity === 1 || frame.escalation.is_panic)) beep();
    render();
    if (panelFor === frame.escalation.id && frame.event !== "escalation.requested") loadPanel(panelFor);
  },
});
render();
