// The unread count (and a supervisor's triage count) in the navigation, live on every page; on the notifications page, new ones
// appear at the top. Built with textContent only: nothing from the server becomes markup.
import { connectLive } from "./live.js";
import { playAlert } from "./alert-sounds.js";

const counters = document.querySelectorAll("[data-unread-count]");
const triageCounters = document.querySelectorAll("[data-triage-count]");
const list = document.querySelector("[data-notification-list]");
const unreadText = document.querySelector("[data-unread-text]");

function showCount(unread) {
  for (const counter of counters) {
    counter.textContent = String(unread);
    counter.hidden = unread === 0;
  }
  if (unreadText) unreadText.textContent = String(unread);
}

// The server names the time in the person's own zone, as the rest of the inbox shows it; an
// older payload without it falls back to the zone the page names.
const zone = document.documentElement.dataset.timeZone || undefined;
const stamp = {
  day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
  second: "2-digit", hourCycle: "h23", timeZoneName: "short",
};

function localTime(notification) {
  if (notification.created_local) return notification.created_local;
  try {
    return new Date(notification.created_at).toLocaleString("en-GB", { ...stamp, timeZone: zone });
  } catch {
    return new Date(notification.created_at).toLocaleString("en-GB", stamp);
  }
}

// A supervisor's open triage count; the triage page listens for "watchpost:triage" to reload its rows.
function showTriage(frame) {
  if (typeof frame.open !== "number") return;
  for (const counter of triageCounters) {
    counter.textContent = String(frame.open);
    counter.hidden = frame.open === 0;
  }
  if (frame.event === "triage.changed") {
    document.dispatchEvent(new CustomEvent("watchpost:triage", { detail: frame }));
  }
}

function line(className, text) {
  const p = document.createElement("p");
  p.className = className;
  p.textContent = text;
  return p;
}

function prepend(notification) {
  if (!list || !notification) return;
  list.querySelector("[data-empty]")?.remove();
  const item = document.createElement("li");
  item.className = "notification unread";
  item.dataset.notificationId = String(notification.id);
  if (notification.alert) item.dataset.alert = notification.alert;
  const title = line("notification-title", "");
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.textContent = "new";
  title.append(badge, " ");
  if (typeof notification.url === "string" && notification.url.startsWith("/")) {
    const link = document.createElement("a");
    link.href = notification.url;
    link.textContent = notification.title;
    title.append(link);
  } else {
    title.append(notification.title);
  }
  item.append(title);
  if (notification.body) item.append(line("notification-body", notification.body));
  item.append(line("muted", localTime(notification)));
  list.prepend(item);
}

// The incident page of an alert sent to this person: seeing the page is acknowledging it (the
// form's button does the same for whoever prefers to press it). Once, when the page is shown.
function acknowledgeOnSight() {
  const form = document.querySelector("[data-alert-ack]");
  if (!form) return;
  const send = () => {
    if (document.visibilityState !== "visible" || form.dataset.sent) return;
    form.dataset.sent = "1";
    const body = new FormData(form);
    body.set("via", "opened");
    fetch(form.dataset.ackUrl, { method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => response.json())
      .then((answer) => {
        const note = document.createElement("p");
        note.setAttribute("role", "status");
        note.textContent = answer.message;
        form.replaceChildren(note);
      })
      .catch(() => { delete form.dataset.sent; });
  };
  send();
  document.addEventListener("visibilitychange", send);
}
acknowledgeOnSight();

if (counters.length) {
  const live = connectLive({
    path: "/ws/notifications/",
    indicator: null,
    onEvent(frame) {
      if (typeof frame.unread === "number") showCount(frame.unread);
      if (frame.event === "notification.created" && frame.notification) {
        // Delivered, not only sent: this open page has it (the server records the receipt).
        live.send({ type: "received", id: frame.notification.id });
        if (frame.notification.sound) playAlert(frame.notification.sound);
        prepend(frame.notification);
      }
      if (frame.event === "triage.changed" || frame.event === "triage.count") showTriage(frame);
      // A supervisor's desk (their home) listens for "watchpost:desk" to reload its panels.
      if (frame.event === "desk.changed") {
        document.dispatchEvent(new CustomEvent("watchpost:desk", { detail: frame }));
      }
    },
  });
}
