// The guard's report form: severity follows the category, location on request, the device clock
// sent with the report, one submission per tap (and per report: the idempotency key survives the
// back button), characters counted against the limit, thumbnails of the chosen photos, and the
// error summary in view after a failed send.
const form = document.querySelector("[data-report-form]");

if (form) {
  const severityFor = (input) => form.querySelector(`input[name="severity"][value="${input.dataset.defaultSeverity}"]`);
  let severityTouched = Boolean(form.querySelector('input[name="severity"]:checked'));
  form.querySelectorAll('input[name="severity"]').forEach((input) => {
    input.addEventListener("change", () => { severityTouched = true; });
  });
  const follow = (input) => {
    const severity = severityFor(input);
    if (severity && !severityTouched) severity.checked = true;
  };
  form.querySelectorAll('input[name="category"]').forEach((input) => {
    input.addEventListener("change", () => follow(input));
  });
  // A category tapped before this script had run still brings its severity.
  const tapped = form.querySelector('input[name="category"]:checked');
  if (tapped) follow(tapped);

  const key = form.querySelector('input[name="idempotency_key"]');
  if (key && !key.value && window.crypto?.randomUUID) key.value = window.crypto.randomUUID();
  // Going back to a sent form and sending it again must find the first report, not file a second:
  // the key sent last is kept for the tab, and a form reached with the back button reuses it.
  const SENT_KEY = "watchpost.report.sent-key";
  const navigation = performance.getEntriesByType?.("navigation")[0];
  const cameBack = navigation?.type === "back_forward";
  const retried = Boolean(form.querySelector("[data-error-summary]"));
  if (key && cameBack && !retried && sessionStorage.getItem(SENT_KEY)) {
    key.value = sessionStorage.getItem(SENT_KEY);
  } else if (!retried && !cameBack) {
    sessionStorage.removeItem(SENT_KEY);
  }
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return; // restored from the back-forward cache: usable again, same key
    delete form.dataset.sending;
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = false; b.removeAttribute("aria-busy"); });
    form.querySelectorAll("input[type=hidden][data-clicked]").forEach((hidden) => hidden.remove());
  });

  const format = (n) => n.toLocaleString("en");
  form.querySelectorAll("[data-limit]").forEach((field) => {
    const limit = Number(field.dataset.limit);
    const counter = document.createElement("span");
    counter.className = "counter";
    counter.id = `${field.id}_counter`;
    const alert = document.createElement("span");
    alert.className = "visually-hidden";
    alert.setAttribute("role", "status");
    field.insertAdjacentElement("afterend", counter);
    counter.insertAdjacentElement("afterend", alert);
    field.setAttribute("aria-describedby", `${field.getAttribute("aria-describedby") ?? ""} ${counter.id}`.trim());
    let over = false;
    const update = () => {
      const length = field.value.length;
      counter.textContent = `${format(length)} / ${format(limit)} characters`;
      counter.classList.toggle("counter-over", length > limit);
      if (length > limit) counter.textContent += `: ${format(length - limit)} too many, shorten it before sending`;
      if ((length > limit) !== over) {
        over = length > limit;
        alert.textContent = over ? `Over the limit of ${format(limit)} characters.` : "Within the limit again.";
      }
    };
    field.addEventListener("input", update);
    update();
  });

  const evidence = form.querySelector("[data-evidence]");
  const thumbnails = form.querySelector("[data-thumbnails]");
  if (evidence && thumbnails) {
    let urls = [];
    const draw = () => {
      urls.forEach((url) => URL.revokeObjectURL(url));
      urls = [];
      thumbnails.replaceChildren();
      for (const file of evidence.files ?? []) {
        const item = document.createElement("li");
        if (file.type.startsWith("image/")) {
          const img = document.createElement("img");
          const url = URL.createObjectURL(file);
          urls.push(url);
          img.src = url;
          img.alt = file.name;
          img.width = 72;
          img.height = 72;
          item.append(img);
        } else {
          item.textContent = file.name;
          item.className = "thumbnail-file";
        }
        thumbnails.append(item);
      }
    };
    evidence.addEventListener("change", draw);
    draw();
  }

  const locate = form.querySelector("[data-locate]");
  const status = form.querySelector("[data-locate-status]");
  if (locate && navigator.geolocation) {
    locate.addEventListener("click", () => {
      status.textContent = "Finding your location…";
      navigator.geolocation.getCurrentPosition(
        (position) => {
          const { latitude, longitude, accuracy } = position.coords;
          form.querySelector('input[name="latitude"]').value = latitude.toFixed(6);
          form.querySelector('input[name="longitude"]').value = longitude.toFixed(6);
          form.querySelector('input[name="location_accuracy_m"]').value = Math.round(accuracy);
          status.textContent = `Location added (±${Math.round(accuracy)} m).`;
        },
        (error) => { status.textContent = `No location: ${error.message}. Describe the place instead.`; },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
      );
    });
  } else if (locate) {
    locate.hidden = true;
  }

  form.addEventListener("submit", (event) => {
    const device = form.querySelector('input[name="device_time"]');
    if (device) device.value = new Date().toISOString();
    if (form.dataset.sending) { event.preventDefault(); return; }
    form.dataset.sending = "1";
    if (key) sessionStorage.setItem(SENT_KEY, key.value);
    const button = event.submitter;
    if (button) {
      // Keep the clicked button's value in the submission, then block a second tap.
      const hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = button.name; hidden.value = button.value; hidden.dataset.clicked = "";
      form.appendChild(hidden);
      setTimeout(() => { form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }); }, 0);
      button.setAttribute("aria-busy", "true");
    }
  });
}
