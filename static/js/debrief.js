// While a debrief is generating or its PDF renders, follow the progress and show the result.
const box = document.querySelector("[data-debrief-status]");

if (box && (box.dataset.status === "generating" || box.dataset.pdf === "pending")) {
  const started = Date.now();
  const timer = setInterval(async () => {
    const response = await fetch(box.dataset.debriefStatus, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const state = await response.json();
    if (state.status !== box.dataset.status || state.pdf_status !== box.dataset.pdf) {
      clearInterval(timer);
      location.reload();
    } else if (Date.now() - started > 120000) {
      clearInterval(timer);
      box.querySelector("[data-progress]").append(" Still working: reload the page later.");
    }
  }, 1500);
}
