// While a debrief is generating or its PDF renders, follow the progress and show the result.
// Only the status box is redrawn once a draft is on the page: what someone is typing stays.
const selector = "[data-debrief-status]";

function watch() {
  const box = document.querySelector(selector);
  if (!box || (box.dataset.status !== "generating" && box.dataset.pdf !== "pending")) return;
  const started = Date.now();
  const timer = setInterval(async () => {
    const response = await fetch(box.dataset.debriefStatus, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const state = await response.json();
    if (state.status === box.dataset.status && state.pdf_status === box.dataset.pdf) {
      if (Date.now() - started > 120000) {
        clearInterval(timer);
        box.querySelector("[data-progress]").append(" Still working: reload the page later.");
      }
      return;
    }
    clearInterval(timer);
    if (box.dataset.status === "generating") {
      location.reload(); // the draft's forms appear: nothing was typed yet
      return;
    }
    const page = new DOMParser().parseFromString(await (await fetch(location.href)).text(), "text/html");
    const fresh = page.querySelector(selector);
    if (fresh) box.replaceWith(fresh);
    watch();
  }, 1500);
}

watch();
