// The board's map: the agency's sites and every open escalation at its coordinates, drawn as SVG on a
// web-mercator projection fitted to what it shows. Nothing is fetched unless the operator set a tile
// server (BOARD_TILE_URL), whose tiles are then laid under the drawing.
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 1000;
const HEIGHT = 560;
const PAD = 48;
const PAD_BELOW = 80; // room under the lowest place for its site's name (SITE_LABEL_BELOW and its glyphs)
const TILE = 256;
const MAX_TILES = 64;

function node(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// Longitude and latitude to the unit square of web mercator (x east, y south).
export function project(latitude, longitude) {
  const clamped = Math.max(-85.05112878, Math.min(85.05112878, latitude));
  const sin = Math.sin((clamped * Math.PI) / 180);
  return [(longitude + 180) / 360, 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)];
}

const number = (value) => (value === null || value === undefined || value === "" ? null : Number(value));

// Where an escalation is: the incident's own coordinates, else its site's.
export function positionOf(escalation) {
  const incident = escalation.incident;
  const lat = number(incident.latitude) ?? number(incident.site_latitude);
  const lon = number(incident.longitude) ?? number(incident.site_longitude);
  return lat === null || lon === null ? null : [lat, lon];
}

function fit(points) {
  const projected = points.map(([lat, lon]) => project(lat, lon));
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of projected) {
    minX = Math.min(minX, x); maxX = Math.max(maxX, x);
    minY = Math.min(minY, y); maxY = Math.max(maxY, y);
  }
  if (!projected.length) [minX, minY, maxX, maxY] = [0, 0, 1, 1];
  const least = 2e-5; // about 800 m: one site alone is not drawn at an absurd zoom
  if (maxX - minX < least) { minX -= least / 2; maxX += least / 2; }
  if (maxY - minY < least) { minY -= least / 2; maxY += least / 2; }
  const scale = Math.min((WIDTH - 2 * PAD) / (maxX - minX), (HEIGHT - PAD - PAD_BELOW) / (maxY - minY));
  const offsetX = (WIDTH - scale * (maxX - minX)) / 2 - scale * minX;
  const offsetY = PAD + (HEIGHT - PAD - PAD_BELOW - scale * (maxY - minY)) / 2 - scale * minY;
  const toScreen = (lat, lon) => {
    const [x, y] = project(lat, lon);
    return [offsetX + scale * x, offsetY + scale * y];
  };
  return { scale, offsetX, offsetY, toScreen };
}

function tiles(group, view, template) {
  const zoom = Math.max(0, Math.min(19, Math.round(Math.log2(view.scale / TILE))));
  const count = 2 ** zoom;
  const size = view.scale / count;
  const first = (offset) => Math.floor((-offset / view.scale) * count);
  const [x0, y0] = [first(view.offsetX), first(view.offsetY)];
  const [x1, y1] = [x0 + Math.ceil(WIDTH / size) + 1, y0 + Math.ceil(HEIGHT / size) + 1];
  let drawn = 0;
  for (let x = x0; x <= x1; x += 1) {
    for (let y = Math.max(0, y0); y <= Math.min(count - 1, y1); y += 1) {
      if (drawn >= MAX_TILES) return;
      const wrapped = ((x % count) + count) % count;
      const href = template.replace("{z}", zoom).replace("{x}", wrapped).replace("{y}", y);
      group.append(node("image", {
        href, x: view.offsetX + x * size, y: view.offsetY + y * size, width: size + 0.5, height: size + 0.5,
        preserveAspectRatio: "none", class: "tile",
      }));
      drawn += 1;
    }
  }
}

const LABEL_CHAR = 12.5; // the width of a character of the 20-px monospace label, a little over
const STEP = 46; // how far a crowded marker moves each time: a marker's height and a gap

// The box a marker and its label cover around (x, y): the ring of a panic, the dot, the label.
function box(x, y, text, panic) {
  const r = panic ? 31 : 17;
  return [x - r, y - Math.max(r, 16), x + 24 + text.length * LABEL_CHAR + 4, y + Math.max(r, 16)];
}

const overlaps = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

// The nearest free place to (x, y), trying up and down in steps, then in columns beside the crowd
// (a crowded site's column can run into the map's edge or another site's name), and taking it.
const COLUMN = 240; // a column beside: a marker and a reference's label
export function place(x, y, text, panic, taken) {
  for (const dx of [0, COLUMN, -COLUMN, 2 * COLUMN, -2 * COLUMN]) {
    for (let ring = 0; ring < 12; ring += 1) {
      const shifts = ring === 0 ? [0] : [ring * STEP, -ring * STEP];
      for (const dy of shifts) {
        const candidate = box(x + dx, y + dy, text, panic);
        if (candidate[0] < 0 || candidate[2] > WIDTH || candidate[1] < 0 || candidate[3] > HEIGHT) continue;
        if (!taken.some((other) => overlaps(candidate, other))) {
          taken.push(candidate);
          return [x + dx, y + dy];
        }
      }
    }
  }
  taken.push(box(x, y, text, panic));
  return [x, y];
}

const SITE_CHAR = 12; // the width of a character of the 20-px site name, a little over

export const SITE_LABEL_BELOW = 58; // a site's name sits this far under its place, clear of a panic marker there
const SITE_LABEL_ABOVE = 34; // or this far above it (its baseline), where the line below is another site's
const SITE_LABEL_NEAR = 3; // lines: how far a name may move for another site's; never further from its site

// Where a site's name goes: right under its place, else right above it. Names are placed before the
// markers, which move around them (with a line back to where they are), so a name always marks its
// own site: a place nearer another site's (``others``, two sites close together) is not used, nor one
// another name holds; then the nearest free line within a few, centred on the site or else starting
// or ending at it (two sites side by side), else its own line. A name stays inside the map: a site
// near the edge had half its name cut off ("hgate Offices"). Returns the name's middle and baseline.
export function siteLabelAt(x, y, name, taken, others = []) {
  const half = (name.length * SITE_CHAR) / 2 + 4;
  const inside = (cx) => Math.max(half, Math.min(WIDTH - half, cx));
  const own = y + SITE_LABEL_BELOW;
  const mine = (cx, line) => {
    const cy = line - 8; // the middle of the name's glyphs
    const distance = Math.hypot(cx - x, cy - y);
    return others.every(([ox, oy]) => Math.hypot(cx - ox, cy - oy) > distance);
  };
  for (const shift of [0, half, -half]) {
    const cx = inside(x + shift);
    for (let step = 0; step <= SITE_LABEL_NEAR; step += 1) {
      for (const line of [own + step * 22, y - SITE_LABEL_ABOVE - step * 22]) {
        const candidate = [cx - half, line - 26, cx + half, line + 14]; // the glyphs, their outline, a gap
        if (candidate[1] < 0 || candidate[3] > HEIGHT || !mine(cx, line)) continue;
        if (!taken.some((other) => overlaps(candidate, other))) {
          taken.push(candidate);
          return [cx, line];
        }
      }
    }
  }
  const cx = inside(x);
  taken.push([cx - half, own - 26, cx + half, own + 14]);
  return [cx, own];
}

export function createMap(svg, { sites, tileUrl, onSelect }) {
  function label(parent, x, y, text, className) {
    parent.append(node("text", { x, y, class: className }, text));
  }

  function drawSite(group, view, site, taken, others) {
    const outline = (site.outline ?? []).filter((point) => point.length === 2);
    const item = node("g", { class: "site-shape", "data-site": site.id });
    if (site.latitude !== null && site.longitude !== null) {
      const [px, py] = view.toScreen(site.latitude, site.longitude);
      item.dataset.x = px.toFixed(1);
      item.dataset.y = py.toFixed(1);
    }
    item.append(node("title", {}, site.name));
    if (outline.length >= 3) {
      const path = outline.map(([lat, lon], i) => `${i ? "L" : "M"}${view.toScreen(lat, lon).map((v) => v.toFixed(1)).join(" ")}`);
      item.append(node("path", { d: `${path.join(" ")} Z`, class: "site-outline" }));
    }
    if (site.latitude !== null && site.longitude !== null) {
      const [x, y] = view.toScreen(site.latitude, site.longitude);
      if (outline.length < 3) item.append(node("rect", { x: x - 7, y: y - 7, width: 14, height: 14, class: "site-outline" }));
      label(item, ...siteLabelAt(x, y, site.name, taken, others), site.name, "site-label");
    }
    group.append(item);
  }

  function drawMarker(group, view, escalation, selected, taken, leaders) {
    const position = positionOf(escalation);
    if (!position) return false;
    const [x0, y0] = view.toScreen(...position);
    const drill = escalation.incident.exercise === "exercise" ? "EXERCISE " : "";
    const text = drill + (escalation.panic_active ? `PANIC ${escalation.incident.reference}` : escalation.incident.reference);
    // Several at one place (an incident without its own position is drawn at its site's, and a
    // site's incidents lie close together): each marker with its label takes a box, and one whose
    // box would cover another's is moved up or down, in steps, to the nearest free place, with a
    // line back to where it is; so every label stays readable and every marker clickable.
    const [x, y] = place(x0, y0, text, escalation.panic_active, taken);
    if (x !== x0 || y !== y0) leaders.append(node("line", { x1: x0, y1: y0, x2: x, y2: y, class: "marker-leader" }));
    const severity = escalation.incident.severity ?? 4;
    const classes = ["marker", `marker-sev-${severity}`];
    if (escalation.panic_active) classes.push("marker-panic");
    if (drill) classes.push("marker-exercise");
    if (escalation.incident.status === "closed") classes.push("marker-closed");
    if (escalation.id === selected) classes.push("marker-selected");
    const marker = node("g", { class: classes.join(" "), "data-marker": escalation.id, transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})` });
    const word = drill + (escalation.panic_active ? "PANIC" : `Severity ${escalation.incident.severity ?? "none"}`);
    marker.append(node("title", {}, `${escalation.incident.reference} · ${word} · ${escalation.incident.category ?? "Uncategorised"} · ${escalation.incident.site} · ${escalation.status_label}`));
    if (escalation.panic_active) marker.append(node("circle", { r: 30, class: "marker-ring" }));
    marker.append(node("circle", { r: escalation.panic_active ? 20 : 15, class: "marker-dot" }));
    marker.append(node("text", { class: "marker-sev", y: 6 }, escalation.panic_active ? "!" : String(escalation.incident.severity ?? "–")));
    marker.append(node("text", { class: "marker-label", x: 24, y: 6 }, text));
    marker.addEventListener("click", () => onSelect(escalation.id));
    group.append(marker);
    return true;
  }

  return {
    update(escalations, selected) {
      const points = [];
      for (const site of sites) {
        if (site.latitude !== null && site.longitude !== null) points.push([site.latitude, site.longitude]);
        for (const point of site.outline ?? []) if (point.length === 2) points.push(point);
      }
      for (const escalation of escalations) {
        const position = positionOf(escalation);
        if (position) points.push(position);
      }
      const view = fit(points);
      const layers = [node("g", { class: "tiles" }), node("g", { class: "sites" }), node("g", { class: "leaders" }), node("g", { class: "markers" })];
      if (tileUrl) tiles(layers[0], view, tileUrl);
      // The sites' names first, each under its own place (placed after the markers, a name was pushed
      // along a crowded site's column of markers and read as another site's); then the markers, the
      // most urgent first (it keeps its true place), around the names; the most urgent drawn last, on top.
      const taken = [];
      const placed = sites.filter((site) => site.latitude !== null && site.longitude !== null);
      for (const site of sites) {
        const others = placed.filter((other) => other !== site).map((other) => view.toScreen(other.latitude, other.longitude));
        drawSite(layers[1], view, site, taken, others);
      }
      let unplaced = 0;
      for (const escalation of escalations) {
        if (!drawMarker(layers[3], view, escalation, selected, taken, layers[2])) unplaced += 1;
      }
      layers[3].replaceChildren(...[...layers[3].children].reverse());
      svg.replaceChildren(...layers);
      svg.dataset.markers = String(escalations.length - unplaced);
      return { unplaced };
    },
  };
}
