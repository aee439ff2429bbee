// Police bulletins, live: when one is published, updated or cancelled for the person's sites, the
// banner (every page) and the bulletins page's live list are fetched again from the server, which
// renders them under its own access rules; the push itself carries only which bulletin changed.
// On a bulletin's page, the publishing agency's people see its read receipts and sightings arrive:
// on every answer to it, the receipts are fetched again the same way.
import { connectLive } from "./live.js";

const banner = document.querySelector("[data-bulletin-banner]");
const list = document.querySelector("[data-bulletin-live-list]");
const answers = document.querySelector("[data-bulletin-answers]");

function fragment(html) {
  return new DOMParser().parseFromString(`<body>${html}</body>`, "text/html").body.childNodes;
}

async function fetchJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  return response.ok ? response.json() : null;
}

async function refresh() {
  const data = await fetchJson("/bulletins/live/");
  if (!data) return;
  if (banner) banner.replaceChildren(...fragment(data.banner));
  if (list) list.replaceChildren(...fragment(data.list));
  document.dispatchEvent(new CustomEvent("watchpost:bulletins", { detail: { count: data.count } }));
}

async function refreshAnswers() {
  const data = await fetchJson(answers.dataset.answersUrl);
  if (!data) return;
  answers.replaceChildren(...fragment(data.html));
  answers.dataset.receipts = data.receipts;
  answers.dataset.sightings = data.sightings;
}

if (banner || answers) {
  connectLive({
    path: "/ws/bulletins/",
    indicator: null,
    onEvent: (frame) => {
      if (frame.event === "bulletin.published" && banner) refresh();
      if (frame.event === "bulletin.answered" && answers && frame.bulletin === answers.dataset.bulletinAnswers) {
        refreshAnswers();
      }
    },
    // A page opened before a push it missed while disconnected: fetch once on every (re)connect.
    onOpen: () => {
      if (banner) refresh();
      if (answers) refreshAnswers();
    },
  });
}
