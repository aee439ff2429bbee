// The guard's shift page: each form carries the phone's time, the location when the phone allows
// it and an idempotency key, so a retried or double-tapped send counts once. The server renders the
// key (a tap before this script has run counts too); a page the browser brings back from its cache
// gets a fresh one here. The camera scans a QR code with the browser's BarcodeDetector where there
// is one, jsQR otherwise; the typed code always works.

const PREFIX = "watchpost:checkpoint:";

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

function locate(form) {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    (position) => {
      form.querySelectorAll("[data-latitude]").forEach((input) => { input.value = position.coords.latitude.toFixed(6); });
      form.querySelectorAll("[data-longitude]").forEach((input) => { input.value = position.coords.longitude.toFixed(6); });
    },
    () => {},
    { maximumAge: 60000, timeout: 5000 },
  );
}

window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("[data-patrol-form] [data-idempotency-key]").forEach((input) => { input.value = newKey(); });
  document.querySelectorAll("[data-patrol-form] button[type=submit]").forEach((button) => { button.disabled = false; });
});

document.querySelectorAll("[data-patrol-form]").forEach((form) => {
  locate(form);
  form.addEventListener("submit", () => {
    form.querySelectorAll("[data-device-at]").forEach((input) => { input.value = new Date().toISOString(); });
    form.querySelectorAll("button[type=submit]").forEach((button) => {
      // One send per tap: the key stays the same if the browser sends again.
      window.setTimeout(() => { button.disabled = true; }, 0);
    });
  });
});

// The decoder where the browser has no BarcodeDetector: jsQR (npm, pinned in package-lock.json, kept
// in static/vendor/jsqr/), loaded only when needed, from this origin (the CSP allows nothing else).
let jsqrLoading = null;
export function loadJsQR(src) {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  if (!jsqrLoading) {
    jsqrLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => (window.jsQR ? resolve(window.jsQR) : reject(new Error("no decoder")));
      script.onerror = () => reject(new Error("decoder not loaded"));
      document.head.appendChild(script);
    });
  }
  return jsqrLoading;
}

// One frame (a video, an image or a canvas) → the checkpoint's short code, or null.
export function readFrame(decode, source, canvas) {
  const width = source.videoWidth || source.naturalWidth || source.width;
  const height = source.videoHeight || source.naturalHeight || source.height;
  if (!width || !height) return null;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0, width, height);
  const found = decode(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
  return found && found.data.startsWith(PREFIX) ? found.data.slice(PREFIX.length) : null;
}

async function detectorFor(scanForm) {
  if ("BarcodeDetector" in window) {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return async (video) => {
      const found = await detector.detect(video).catch(() => []);
      const code = found.map((item) => item.rawValue).find((value) => value.startsWith(PREFIX));
      return code ? code.slice(PREFIX.length) : null;
    };
  }
  const decode = await loadJsQR(scanForm.dataset.jsqrSrc);
  const canvas = document.createElement("canvas");
  return async (video) => readFrame(decode, video, canvas);
}

const scanForm = document.querySelector("[data-scan-form]");
if (scanForm && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
  const box = scanForm.querySelector("[data-camera]");
  const video = scanForm.querySelector("[data-camera-video]");
  const start = scanForm.querySelector("[data-camera-start]");
  box.hidden = false;
  start.addEventListener("click", async () => {
    let stream;
    try {
      const detect = await detectorFor(scanForm);
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const look = async () => {
        const code = await detect(video);
        if (code) {
          stream.getTracks().forEach((track) => track.stop());
          scanForm.querySelector("[data-scan-code]").value = code;
          scanForm.querySelector("[data-scan-method]").value = "camera";
          scanForm.requestSubmit();
          return;
        }
        window.requestAnimationFrame(look);
      };
      look();
    } catch (error) {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      start.textContent = "Camera not available: type the code";
    }
  });
}
