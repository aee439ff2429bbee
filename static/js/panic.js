// The panic button: press and hold for two seconds (a stray tap does nothing), then it is sent
// at once with the location if the device has one, and retried with the same key until it lands.
const HOLD_MS = 2000;
const form = document.querySelector("[data-panic]");

if (form) {
  const button = form.querySelector("[data-panic-button]");
  const status = form.querySelector("[data-panic-status]");
  const confirm = form.querySelector("[data-panic-confirm]");
  confirm.querySelector("input").required = false;
  confirm.hidden = true;
  let timer = null;
  let sent = false;

  function locate() {
    navigator.geolocation?.getCurrentPosition(
      ({ coords }) => {
        form.latitude.value = coords.latitude.toFixed(6);
        form.longitude.value = coords.longitude.toFixed(6);
        form.accuracy.value = Math.round(coords.accuracy);
      },
      () => {},
      { enableHighAccuracy: true, timeout: HOLD_MS, maximumAge: 60000 },
    );
  }

  async function send() {
    sent = true;
    button.classList.remove("holding");
    button.classList.add("sending");
    status.textContent = "Sending PANIC…";
    navigator.vibrate?.(200);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
        });
        if (response.ok) {
          const body = await response.json();
          // The server says exactly who was alerted (never a promise it did not keep).
          status.textContent = body.alerted || `PANIC ${body.reference} recorded.`;
          button.classList.replace("sending", "sent");
          setTimeout(() => { location.href = body.url; }, 1500);
          return;
        }
        if (response.status === 403) {
          // Refused (not a site of yours): retrying cannot help; say why and let the guard choose.
          const body = await response.json().catch(() => ({}));
          status.textContent = `Not sent: ${body.detail || "refused"}`;
          button.classList.remove("sending");
          sent = false;
          return;
        }
        status.textContent = `Not sent (error ${response.status}). Retrying…`;
      } catch {
        status.textContent = `No network. Retrying (${attempt})…`;
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  function start(event) {
    if (sent || timer) return;
    event.preventDefault();
    locate();
    button.classList.add("holding");
    status.textContent = "Keep holding…";
    timer = setTimeout(() => { timer = null; send(); }, HOLD_MS);
  }

  function cancel() {
    if (!timer) return;
    clearTimeout(timer);
    timer = null;
    button.classList.remove("holding");
    status.textContent = "Not sent. Press and hold 2 s";
  }

  button.addEventListener("pointerdown", start);
  ["pointerup", "pointerleave", "pointercancel"].forEach((name) => button.addEventListener(name, cancel));
  button.addEventListener("keydown", (event) => { if ((event.key === " " || event.key === "Enter") && !event.repeat) start(event); });
  button.addEventListener("keyup", (event) => { if (event.key === " " || event.key === "Enter") cancel(); });
  button.addEventListener("contextmenu", (event) => event.preventDefault());
  form.addEventListener("submit", (event) => event.preventDefault());
}
