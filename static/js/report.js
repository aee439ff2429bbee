// The guard's report form: severity follows the category, location on request,
// the device clock sent with the report, and one submission per tap.
const form = document.querySelector("[data-report-form]");

if (form) {
  const severityFor = (input) => form.querySelector(`input[name="severity"][value="${input.dataset.defaultSeverity}"]`);
  let severityTouched = Boolean(form.querySelector('input[name="severity"]:checked'));
  form.querySelectorAll('input[name="severity"]').forEach((input) => {
    input.addEventListener("change", () => { severityTouched = true; });
  });
  form.querySelectorAll('input[name="category"]').forEach((input) => {
    input.addEventListener("change", () => {
      const severity = severityFor(input);
      if (severity && !severityTouched) severity.checked = true;
    });
  });

  const key = form.querySelector('input[name="idempotency_key"]');
  if (key && !key.value && window.crypto?.randomUUID) key.value = window.crypto.randomUUID();

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
    const button = event.submitter;
    if (button) {
      // Keep the clicked button's value in the submission, then block a second tap.
      const hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = button.name; hidden.value = button.value;
      form.appendChild(hidden);
      setTimeout(() => { form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }); }, 0);
      button.setAttribute("aria-busy", "true");
    }
  });
}
