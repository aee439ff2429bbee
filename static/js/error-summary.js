// A refused form's summary (partials/error_summary.html) is what the person reads first: the page
// opens on it, with the focus on it for a screen reader, wherever on a long page its form is (the
// incident page's triage card, the debrief's actions, the report form under the bulletins).
const summary = document.querySelector("[data-error-summary]");
if (summary) {
  summary.scrollIntoView({ block: "start" });
  summary.focus({ preventScroll: true });
}
