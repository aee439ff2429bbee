// The device's outbox on every page of a signed-in person (docs/OFFLINE.md): registers the service
// worker, shows what waits on this phone ("1 report waiting to send"), and sends it, oldest first,
// when the network returns (the online event, each page load, every RETRY_MS and "Send now"). An
// item leaves the outbox only when the server has it: a report it already had (same idempotency key)
// counts as arrived, never as a second one. A report the server refuses stays, with the reason and a
// link that opens it again with everything as typed.
import { listItems, onChange, removeItem, updateItem } from "./outbox-store.js";

const RETRY_MS = 15000;
const box = document.querySelector("[data-outbox]");
const sent = document.querySelector("[data-outbox-sent]");
const user = box?.dataset.user ?? "";

if (box && "serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register(box.dataset.sw, { scope: "/", type: "module" }).catch(() => {});
  // The guard's pages kept for offline use (again after a sign-in, which drops the ones before).
  navigator.serviceWorker.ready.then((registration) => registration.active?.postMessage("keep-pages"));
}

const csrfToken = () => document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/)?.[1] ?? "";
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function describe(item) {
  const field = (name) => item.fields.find(([key]) => key === name)?.[1];
  const text = typeof field("narrative") === "string" ? field("narrative").trim() : "";
  const files = item.fields.filter(([, value]) => value instanceof Blob && value.size).length;
  const when = new Date(item.queuedAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const what = text ? `“${text.length > 60 ? `${text.slice(0, 60)}…` : text}”` : "Report without a narrative";
  return `${what}${files ? `, ${plural(files, "file", "files")}` : ""} · kept at ${when}`;
}

// The server's reasons, each after its field's label ("What happened?: Ensure this value has…").
export function reasons(refused) {
  return Object.entries(refused?.errors ?? {}).flatMap(([name, messages]) => {
    const label = refused.labels?.[name];
    return messages.map((message) => (label ? `${label}: ${message}` : message));
  });
}

async function mine() {
  try {
    return (await listItems()).filter((item) => item.user === user).sort((a, b) => a.id - b.id);
  } catch {
    return [];
  }
}

export async function render() {
  if (!box) return;
  const items = await mine();
  box.hidden = items.length === 0;
  const waiting = items.filter((item) => !item.refused).length;
  const refused = items.length - waiting;
  const parts = [];
  if (waiting) parts.push(`${plural(waiting, "report", "reports")} waiting to send`);
  if (refused) parts.push(`${plural(refused, "report", "reports")} to correct`);
  box.querySelector("[data-outbox-count]").textContent = parts.join(", ");
  let network = "Not sent: open it, correct what is said and send it again. It stays on this phone until then.";
  if (waiting) {
    network = navigator.onLine
      ? "Kept on this phone. Sending as soon as the server answers."
      : "No network. Kept on this phone: sent by itself when the network returns. Do not clear this browser's data.";
  }
  box.querySelector("[data-outbox-network]").textContent = network;
  box.querySelector("[data-outbox-send]").hidden = !waiting || !navigator.onLine;
  const list = box.querySelector("[data-outbox-items]");
  list.replaceChildren(...items.map((item) => {
    const row = document.createElement("li");
    row.append(describe(item));
    if (item.refused) {
      row.className = "outbox-refused";
      const why = document.createElement("p");
      why.textContent = `Not accepted: ${reasons(item.refused).join(" ") || "refused by the server"}`;
      const link = document.createElement("a");
      link.href = `${item.url}?outbox=${item.id}`;
      link.textContent = "Open it again to correct and send";
      row.append(why, link);
    } else if (item.problem) {
      const note = document.createElement("p");
      note.textContent = item.problem;
      row.append(note);
    }
    return row;
  }));
}

function tell(message, url) {
  if (!sent) return;
  sent.replaceChildren(message);
  if (url) {
    const link = document.createElement("a");
    link.href = url;
    link.textContent = "Open it";
    sent.append(" ", link);
  }
  sent.hidden = false;
}

// One attempt at one item: "sent", "refused", or "wait" (no network, signed out, server down).
async function sendItem(item) {
  const body = new FormData();
  for (const [name, value] of item.fields) {
    if (value instanceof Blob) body.append(name, value, value.name ?? "file");
    else body.append(name, value);
  }
  // The token of the session now (the kept page's may be older than a sign-in since).
  body.set("csrfmiddlewaretoken", csrfToken());
  let response;
  try {
    response = await fetch(item.url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
  } catch {
    return "wait";
  }
  const json = (response.headers.get("Content-Type") ?? "").includes("application/json")
    ? await response.json().catch(() => null)
    : null;
  if (response.ok && json?.reference) {
    await removeItem(item.id);
    const extra = json.refusals?.length ? ` ${json.refusals.join(" ")}` : "";
    tell(`Sent from this phone: ${json.message}${extra}`, json.url);
    window.dispatchEvent(new CustomEvent("outbox:sent", { detail: { key: item.key, url: json.url } }));
    return "sent";
  }
  if (response.status === 400 && json?.errors) {
    const refused = { errors: json.errors, labels: json.labels ?? {}, at: new Date().toISOString() };
    await updateItem(item.id, { refused, problem: "" });
    return "refused";
  }
  if (response.redirected && new URL(response.url).pathname.startsWith("/accounts/")) {
    await updateItem(item.id, { problem: "Sign in again to send it (it stays here until then)." });
    return "wait";
  }
  if (response.status === 403) {
    await updateItem(item.id, { problem: "The server refused it (403): sign in again, or ask your supervisor." });
    return "wait";
  }
  await updateItem(item.id, { problem: `The server did not take it yet (error ${response.status}); trying again.` });
  return "wait";
}

async function sendAll() {
  for (const item of await mine()) {
    if (item.refused) continue;
    if ((await sendItem(item)) === "wait") break; // in order: the next waits for this one
  }
}

let sending = null;
export function flush() {
  if (!box || !navigator.onLine) return render();
  // One sender per device at a time (several tabs, the restored form and the timer).
  sending ??= (navigator.locks ? navigator.locks.request("watchpost-outbox-send", sendAll) : sendAll())
    .catch(() => {})
    .finally(() => { sending = null; })
    .then(render);
  return sending;
}

if (box) {
  onChange(render);
  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  box.querySelector("[data-outbox-send]").addEventListener("click", flush);
  setInterval(flush, RETRY_MS);
  flush();
}
