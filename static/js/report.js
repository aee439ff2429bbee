// The guard's report form: severity follows the category, location on request, the device clock
// sent with the report, one submission per tap (and per report: the idempotency key survives the
// back button), characters counted against the limit, thumbnails of the chosen photos, and the
// error summary in view after a failed send. Without a network the report is kept on the phone (the
// outbox, docs/OFFLINE.md) with its files and key, and a report the server refused opens again from
// there with everything as typed.
import { addItem, getItem } from "./outbox-store.js";
import { flush, reasons } from "./outbox.js";

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
  // A page opened offline is the service worker's kept copy, with the key of the page it kept: a key
  // this phone has already shown on a fresh form is replaced, or two reports would be one.
  const SEEN_KEYS = "watchpost.report.seen-keys";
  let seen = [];
  try { seen = JSON.parse(localStorage.getItem(SEEN_KEYS) || "[]"); } catch { seen = []; }
  if (key && !retried && !cameBack && seen.includes(key.value) && window.crypto?.randomUUID) {
    key.value = window.crypto.randomUUID();
  }
  if (key) localStorage.setItem(SEEN_KEYS, JSON.stringify([key.value, ...seen.filter((k) => k !== key.value)].slice(0, 50)));
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

  const outboxUser = document.querySelector("[data-outbox]")?.dataset.user ?? "";
  const reportUrl = location.pathname;

  // A notice above the form (kept on the phone, or why the server refused it), focused for a reader.
  function notice(kind, title, lines = []) {
    form.parentElement.querySelector("[data-outbox-notice]")?.remove();
    const box = document.createElement("div");
    box.dataset.outboxNotice = kind;
    box.className = kind === "refused" ? "error-summary outbox-notice" : "message message-success outbox-notice";
    box.setAttribute("role", kind === "refused" ? "alert" : "status");
    box.tabIndex = -1;
    const heading = document.createElement("p");
    heading.className = "outbox-notice-title";
    heading.textContent = title;
    box.append(heading);
    if (lines.length) {
      const list = document.createElement("ul");
      list.append(...lines.map((line) => Object.assign(document.createElement("li"), { textContent: line })));
      box.append(list);
    }
    form.insertAdjacentElement("beforebegin", box);
    box.scrollIntoView({ block: "start" });
    box.focus({ preventScroll: true });
  }


  const startAfresh = () => {
    form.reset();
    if (key && window.crypto?.randomUUID) key.value = window.crypto.randomUUID();
    const evidenceInput = form.querySelector("[data-evidence]");
    if (evidenceInput) evidenceInput.dispatchEvent(new Event("change"));
    form.querySelectorAll("[data-limit]").forEach((field) => field.dispatchEvent(new Event("input")));
    severityTouched = false;
  };

  const release = () => {
    delete form.dataset.sending;
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = false; b.removeAttribute("aria-busy"); });
  };

  // The report kept in the outbox (every field and file, the key included); sent at once when there
  // is a network (a report opened again from the outbox), else when it returns.
  async function keep(button) {
    form.dataset.sending = "1";
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    const data = new FormData(form);
    if (button?.name) data.set(button.name, button.value);
    const fields = [...data.entries()].filter(([name, value]) => (
      name !== "csrfmiddlewaretoken" && !(value instanceof File && !value.name && !value.size)
    ));
    const entry = { kind: "report", url: reportUrl, fields, user: outboxUser };
    const id = await addItem(entry);
    if (!navigator.onLine || !form.dataset.outboxId) {
      notice("kept", "No network: the report is saved on this phone.", [
        "It is sent by itself as soon as the network returns (see the list above). You can write another.",
      ]);
      startAfresh();
      delete form.dataset.outboxId;
      release();
      return;
    }
    await flush();
    const still = await getItem(id);
    if (!still) return; // sent: outbox.js says so and links it (the "sent" event below opens it)
    if (still.refused) notice("refused", "The report was not accepted: please check", reasons(still.refused));
    else notice("kept", "The report is saved on this phone and will be sent when the server answers.");
    release();
  }

  window.addEventListener("outbox:sent", (event) => {
    if (form.dataset.outboxId && event.detail?.key === key?.value && event.detail.url) location.href = event.detail.url;
  });

  // ?queued=1: the service worker kept the report when the network failed on the way.
  const params = new URLSearchParams(location.search);
  if (params.has("queued")) {
    notice("kept", "No network: the report is saved on this phone.", [
      "It is sent by itself as soon as the network returns (see the list above).",
    ]);
  }
  // ?outbox=<id>: a kept report opened again, everything as typed, with the server's reasons.
  const restoreId = Number(params.get("outbox"));
  if (restoreId) {
    getItem(restoreId).then((item) => {
      if (!item) {
        notice("kept", "That report is no longer waiting on this phone: it was sent.");
        return;
      }
      form.dataset.outboxId = String(item.id);
      form.querySelectorAll("input[type=checkbox], input[type=radio]").forEach((input) => { input.checked = false; });
      const files = new DataTransfer();
      for (const [name, value] of item.fields) {
        if (value instanceof Blob) {
          if (name === "evidence" && value.size) files.items.add(value instanceof File ? value : new File([value], "file"));
          continue;
        }
        for (const input of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
          if (input.type === "checkbox" || input.type === "radio") {
            if (input.value === value) input.checked = true;
          } else if (input.type !== "file" && input.tagName !== "BUTTON") {
            input.value = value;
          }
        }
      }
      severityTouched = true;
      const evidenceInput = form.querySelector("[data-evidence]");
      if (evidenceInput) {
        evidenceInput.files = files.files;
        evidenceInput.dispatchEvent(new Event("change"));
      }
      form.querySelectorAll("[data-limit]").forEach((field) => field.dispatchEvent(new Event("input")));
      if (item.refused) {
        notice("refused", "The report was not accepted: please check", reasons(item.refused));
      } else {
        notice("kept", "This report is still waiting on this phone. Send it again when you are ready.");
      }
    });
  }

  form.addEventListener("submit", (event) => {
    const device = form.querySelector('input[name="device_time"]');
    if (device) device.value = new Date().toISOString();
    if (form.dataset.sending) { event.preventDefault(); return; }
    if (!navigator.onLine || form.dataset.outboxId) {
      event.preventDefault();
      keep(event.submitter).catch(() => {
        release();
        notice("refused", "This phone could not keep the report: do not close the page; try again when online.");
      });
      return;
    }
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
