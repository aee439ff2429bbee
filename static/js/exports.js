// While a bundle is queued or being built, follow its progress; once it is finished, show the page again.
function watch(item) {
  const started = Date.now();
  const timer = setInterval(async () => {
    const response = await fetch(item.dataset.bundleStatus, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const state = await response.json();
    if (state.status === "ready" || state.status === "failed") {
      clearInterval(timer);
      location.reload();
      return;
    }
    const bar = item.querySelector("progress");
    const text = item.querySelector("[data-progress-text]");
    if (bar) bar.value = state.percent;
    if (text) text.textContent = `${state.percent} % · ${state.files_done} of ${state.files_total} evidence files`;
    if (Date.now() - started > 600000) {
      clearInterval(timer);
      text?.append(" Still working: reload the page later.");
    }
  }, 1500);
}

for (const item of document.querySelectorAll("[data-bundle-status]")) {
  if (item.dataset.status === "queued" || item.dataset.status === "building") watch(item);
}
