// The panic bar: press and hold for two seconds (a stray tap does nothing), then it is sent at once
// with the location if the device has one, and retried with the same key until it lands. Its site
// is the one the device is at (against the sites' coordinates) unless the guard chose another; after
// sending, a short window lets the guard cancel a false press. Without a network it says so at once,
// tells the guard to use the radio or phone, and keeps trying (at once when the network returns):
// it never says it was sent before the server has it.
const HOLD_MS = 2000;
const NO_NETWORK = "No network — panic NOT sent. Use your radio or phone. Retrying…";
const form = document.querySelector("[data-panic]");

function distanceM(lat1, lon1, lat2, lon2) {
  const rad = (deg) => (deg * Math.PI) / 180;
  const dp = rad(lat2 - lat1);
  const dl = rad(lon2 - lon1);
  const a = Math.sin(dp / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dl / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(a));
}

if (form) {
  const button = form.querySelector("[data-panic-button]");
  const status = form.querySelector("[data-panic-status]");
  const confirm = form.querySelector("[data-panic-confirm]");
  const siteSelect = form.querySelector("[data-panic-site]");
  const cancelButton = form.querySelector("[data-panic-cancel]");
  const radius = Number(form.dataset.radiusM) || 1500;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  // A page opened offline is the service worker's kept copy: a press on it is a press of its own.
  if (window.crypto?.randomUUID) form.idempotency_key.value = window.crypto.randomUUID();
  confirm.querySelector("input").required = false;
  confirm.hidden = true;
  // The bar grows with its status (who was alerted, the site it was sent from): the page keeps
  // making room for all of it.
  const room = () => document.documentElement.style.setProperty("--panic-bar", `${form.offsetHeight}px`);
  new ResizeObserver(room).observe(form);
  room();
  let timer = null;
  let sent = false;
  let chosenByHand = false;

  const siteName = () => siteSelect?.selectedOptions[0]?.textContent ?? form.querySelector(".panic-site-name")?.textContent ?? "";

  siteSelect?.addEventListener("change", () => { chosenByHand = true; });

  function nearest(latitude, longitude) {
    if (!siteSelect || chosenByHand) return;
    let best = null;
    for (const option of siteSelect.options) {
      if (!option.dataset.lat) continue;
      const metres = distanceM(latitude, longitude, Number(option.dataset.lat), Number(option.dataset.lon));
      if (metres <= radius && (!best || metres < best.metres)) best = { option, metres };
    }
    if (best && !best.option.selected) {
      best.option.selected = true;
      if (timer) status.textContent = `Keep holding: PANIC from ${siteName()}`;
    }
  }

  function locate() {
    navigator.geolocation?.getCurrentPosition(
      ({ coords }) => {
        form.latitude.value = coords.latitude.toFixed(6);
        form.longitude.value = coords.longitude.toFixed(6);
        form.accuracy.value = Math.round(coords.accuracy);
        if (!sent) nearest(coords.latitude, coords.longitude);
      },
      () => {},
      { enableHighAccuracy: true, timeout: HOLD_MS, maximumAge: 60000 },
    );
  }

  // Only where the guard already allowed the location: no prompt on every page.
  navigator.permissions?.query({ name: "geolocation" }).then((permission) => {
    if (permission.state === "granted") locate();
  }).catch(() => {});

  function offerCancel(body) {
    const until = Date.parse(body.cancel_until);
    form.classList.add("panic-sent");
    cancelButton.hidden = false;
    let done = false;
    const tick = () => {
      if (done) return;
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        done = true;
        cancelButton.hidden = true;
        location.href = body.url;
        return;
      }
      cancelButton.textContent = `Cancel: false alarm (${left} s)`;
      setTimeout(tick, 250);
    };
    cancelButton.addEventListener("click", async () => {
      if (done) return;
      done = true;
      cancelButton.disabled = true;
      status.textContent = "Cancelling…";
      const response = await fetch(body.cancel_url, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
      }).catch(() => null);
      const answer = response ? await response.json().catch(() => ({})) : {};
      status.textContent = response?.ok ? answer.detail : `Not cancelled: ${answer.detail || "no network"}`;
      cancelButton.hidden = true;
      setTimeout(() => { location.href = body.url; }, 1500);
    }, { once: true });
    tick();
  }

  async function send() {
    sent = true;
    button.classList.remove("holding");
    button.classList.add("sending");
    status.textContent = `Sending PANIC from ${siteName()}…`;
    navigator.vibrate?.(200);
    for (let attempt = 1; ; attempt += 1) {
      if (!navigator.onLine) {
        form.classList.add("panic-offline");
        status.textContent = `${NO_NETWORK} (${attempt})`;
        await new Promise((resolve) => {
          const wake = () => { window.removeEventListener("online", wake); resolve(); };
          window.addEventListener("online", wake);
          setTimeout(wake, 2000);
        });
        continue;
      }
      try {
        const body = new FormData(form);
        // The session's token now: a page kept offline may carry an older one.
        const token = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/)?.[1];
        if (token) body.set("csrfmiddlewaretoken", token);
        const response = await fetch(form.action, {
          method: "POST",
          body,
          headers: { Accept: "application/json" },
        });
        if (response.ok) {
          const body = await response.json();
          // The server says exactly who was alerted (never a promise it did not keep).
          form.classList.remove("panic-offline");
          status.textContent = `${body.alerted || `PANIC ${body.reference} recorded.`} Sent from ${body.site}.`;
          button.classList.replace("sending", "sent");
          offerCancel(body);
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
        form.classList.add("panic-offline");
        status.textContent = `${NO_NETWORK} (${attempt})`;
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  function start(event) {
    if (sent || timer) return;
    event.preventDefault();
    locate();
    button.classList.add("holding");
    status.textContent = `Keep holding: PANIC from ${siteName()}`;
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
