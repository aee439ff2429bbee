// Redaction: drag on the photo's preview to draw an area the police must not see. The form's rows
// (x, y, width, height in percent of the image) stay the one record: a drawn area fills the next
// empty row (a row is added up to the limit), removing a row's area ticks its "Remove", and the
// outlines over the photo are redrawn from the rows. Without this script the rows are typed in.

const MAX_AREAS = 20;
const SIDES = ["x", "y", "w", "h"];
const SVG = "http://www.w3.org/2000/svg";

const section = document.querySelector("[data-redaction]");
const frame = document.querySelector("[data-redaction-frame]");
const image = frame && frame.querySelector("[data-redaction-image]");
const outlines = frame && frame.querySelector("[data-redaction-outlines]");
const body = section && section.querySelector("[data-redaction-rows]");

function inputs(row) {
  return SIDES.map((side) => row.querySelector(`input[name$="-${side}"]`));
}

function areaOf(row) {
  if (row.querySelector('input[type="checkbox"]').checked) return null;
  const values = inputs(row).map((input) => input.value.trim());
  if (values.some((value) => value === "")) return null;
  const [x, y, w, h] = values.map(Number);
  return [x, y, w, h].every(Number.isFinite) ? { x, y, w, h } : null;
}

function rows() {
  return Array.from(body.querySelectorAll("[data-redaction-row]"));
}

function redraw() {
  outlines.replaceChildren();
  for (const row of rows()) {
    const area = areaOf(row);
    if (!area) continue;
    const rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("x", `${area.x}%`);
    rect.setAttribute("y", `${area.y}%`);
    rect.setAttribute("width", `${area.w}%`);
    rect.setAttribute("height", `${area.h}%`);
    outlines.append(rect);
  }
}

function emptyRow() {
  const free = rows().find((row) => inputs(row).every((input) => input.value.trim() === ""));
  if (free) return free;
  const all = rows();
  if (all.length >= MAX_AREAS) return null;
  const row = all[all.length - 1].cloneNode(true);
  const number = all.length + 1;
  row.querySelector("th").textContent = String(number);
  for (const input of row.querySelectorAll("input")) {
    input.name = input.name.replace(/^area-\d+-/, `area-${number}-`);
    input.value = "";
    input.checked = false;
    if (input.hasAttribute("aria-label")) {
      input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/^Area \d+/, `Area ${number}`));
    }
  }
  row.querySelector(".visually-hidden").textContent = `Remove area ${number}`;
  body.append(row);
  return row;
}

function percent(value) {
  return Math.round(Math.min(100, Math.max(0, value)) * 100) / 100;
}

function pointIn(event) {
  const box = image.getBoundingClientRect();
  return { x: ((event.clientX - box.left) / box.width) * 100, y: ((event.clientY - box.top) / box.height) * 100 };
}

if (section && frame && image && outlines && body) {
  frame.classList.add("drawing");
  let start = null;
  let preview = null;
  frame.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    start = pointIn(event);
    preview = document.createElementNS(SVG, "rect");
    preview.setAttribute("data-drawing", "");
    outlines.append(preview);
    frame.setPointerCapture(event.pointerId);
  });
  frame.addEventListener("pointermove", (event) => {
    if (!start) return;
    const point = pointIn(event);
    preview.setAttribute("x", `${percent(Math.min(start.x, point.x))}%`);
    preview.setAttribute("y", `${percent(Math.min(start.y, point.y))}%`);
    preview.setAttribute("width", `${percent(Math.abs(point.x - start.x))}%`);
    preview.setAttribute("height", `${percent(Math.abs(point.y - start.y))}%`);
  });
  frame.addEventListener("pointerup", (event) => {
    if (!start) return;
    const point = pointIn(event);
    const x = percent(Math.min(start.x, point.x));
    const y = percent(Math.min(start.y, point.y));
    const w = percent(Math.min(Math.max(start.x, point.x), 100) - x);
    const h = percent(Math.min(Math.max(start.y, point.y), 100) - y);
    start = null;
    preview.remove();
    if (w < 1 || h < 1) return; // a click, not an area
    const row = emptyRow();
    if (!row) return;
    inputs(row).forEach((input, index) => {
      input.value = String([x, y, w, h][index]);
    });
    redraw();
  });
  body.addEventListener("input", redraw);
  body.addEventListener("change", redraw);
  redraw();
}
