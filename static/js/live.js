// One live connection: reconnects by itself with backoff, shows its state, resumes by number.
import { timeOfDay } from "./clock.js";

export function connectLive({ path, indicator, resumeFrom = null, onEvent, onOpen, onDown }) {
  let last = resumeFrom;
  let socket = null;
  let attempt = 0;
  let downSince = null;
  let retryTimer = null;
  let pingTimer = null;
  let pongTimer = null;

  function show(state, text) {
    if (!indicator) return;
    indicator.className = `connection connection-${state}`;
    indicator.textContent = text;
    document.body.classList.toggle("live-down", state !== "up");
  }

  function open() {
    clearTimeout(retryTimer);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${path}`);
    socket.addEventListener("open", () => {
      attempt = 0;
      downSince = null;
      if (last !== null) socket.send(JSON.stringify({ type: "resume", after: last }));
      show("up", "Live");
      onOpen?.(socket);
      pingTimer = setInterval(() => {
        socket.send(JSON.stringify({ type: "ping" }));
        pongTimer = setTimeout(() => socket.close(), 10000);
      }, 25000);
    });
    socket.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "pong") { clearTimeout(pongTimer); return; }
      if (frame.type !== "event") return;
      if (typeof frame.seq === "number") {
        if (last !== null && frame.seq <= last) return; // already applied
        last = frame.seq;
      }
      onEvent(frame);
    });
    socket.addEventListener("close", (event) => {
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      onDown?.(event);
      if (event.code === 4401 || event.code === 4403) {
        show("down", "Signed out: reload the page to sign in again.");
        return;
      }
      downSince ??= new Date();
      const since = `Connection lost since ${timeOfDay(downSince, { seconds: true, timeZone: document.documentElement.dataset.timeZone || undefined })}`;
      if (!navigator.onLine) {
        show("down", `${since}: this device is offline. Reconnecting when it is back…`);
        return; // the "online" event reconnects
      }
      attempt += 1;
      // Full jitter: after a server restart every board loses its socket in the same instant, so
      // each waits a random time up to the doubling ceiling (1 s, 2 s, … 15 s) and the thousand
      // reconnects spread out instead of arriving together at every retry.
      const ceiling = Math.min(15000, 500 * 2 ** Math.min(attempt, 5));
      const delay = 250 + Math.random() * (ceiling - 250);
      show("down", `${since} — reconnecting…`);
      retryTimer = setTimeout(open, delay);
    });
  }

  // The device knows before the socket does: say so at once, and come back as soon as it can.
  window.addEventListener("offline", () => socket?.close());
  window.addEventListener("online", () => { if (socket?.readyState === WebSocket.CLOSED) open(); });
  open();
  return { send: (payload) => socket?.readyState === WebSocket.OPEN && socket.send(JSON.stringify(payload)) };
}
