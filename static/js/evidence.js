// Evidence files: fingerprint each chosen file (SHA-256) before it is sent, so that the server can
// refuse a file that changed on the way. For every input[type=file][data-evidence], the hashes go into
// hidden inputs named "<input name>_sha256", one per file, in the files' order.
// A file is read and hashed CHUNK_BYTES at a time (a 200 MB video is never in memory whole): Web
// Crypto's digest takes only a whole buffer, so the incremental SHA-256 is @noble/hashes' (pinned in
// package.json, its ES modules kept in static/vendor/noble-hashes/). It needs no secure context.
import { sha256 as sha256Hasher } from "../vendor/noble-hashes/sha2.js";

export const CHUNK_BYTES = 4 * 1024 * 1024;

function formatSize(bytes) {
  const units = ["bytes", "KB", "MB", "GB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${unit ? size.toFixed(1) : size} ${units[unit]}`;
}

function toHex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function submitButtons(form) {
  return form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]');
}

function statusList(input) {
  let list = input.evidenceStatus;
  if (!list) {
    list = document.createElement("ul");
    list.className = "evidence-files";
    list.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", list);
    input.evidenceStatus = list;
  }
  return list;
}

function hiddenInputs(input) {
  const name = `${input.name}_sha256`;
  return Array.from(input.form.querySelectorAll("input[type=hidden][data-evidence-hash]")).filter(
    (hidden) => hidden.name === name,
  );
}

function busy(form, delta) {
  const count = (Number(form.dataset.evidenceHashing) || 0) + delta;
  form.dataset.evidenceHashing = String(count);
  form.setAttribute("aria-busy", count > 0 ? "true" : "false");
  for (const button of submitButtons(form)) {
    button.disabled = count > 0;
  }
}

// The guard sees the file and that it is ready; the fingerprint is folded away for investigators,
// as on the evidence page.
function showFingerprint(row, label, hash) {
  const fold = document.createElement("details");
  fold.className = "hash-fold";
  fold.dataset.hashFold = "";
  const summary = document.createElement("summary");
  summary.textContent = "Fingerprint for investigators";
  const code = document.createElement("code");
  code.textContent = `SHA-256 ${hash.slice(0, 12)}…`;
  code.title = hash;
  fold.append(summary, code);
  row.replaceChildren(`${label}: ready to send`, fold);
}

// The file's SHA-256 in hex, read in slices of CHUNK_BYTES; progress(fraction) after each slice.
export async function sha256(file, progress = () => {}) {
  const hash = sha256Hasher.create();
  for (let offset = 0; offset < file.size; offset += CHUNK_BYTES) {
    const slice = file.slice(offset, Math.min(offset + CHUNK_BYTES, file.size));
    hash.update(new Uint8Array(await slice.arrayBuffer()));
    progress(Math.min(offset + CHUNK_BYTES, file.size) / file.size);
  }
  return toHex(hash.digest());
}

async function fingerprint(input) {
  const form = input.form;
  if (!form || !input.name) return;
  const run = (input.evidenceRun = (input.evidenceRun || 0) + 1);
  const files = Array.from(input.files || []);
  const limit = Number(input.dataset.maxBytes) || Infinity;
  for (const old of hiddenInputs(input)) old.remove();
  const list = statusList(input);
  list.replaceChildren();

  const problems = [];
  const rows = files.map((file) => {
    const row = document.createElement("li");
    const label = `${file.name} (${formatSize(file.size)})`;
    if (file.size === 0) {
      problems.push(`${file.name} is empty.`);
      row.textContent = `${label}: empty, choose another file`;
      row.className = "problem";
    } else if (file.size > limit) {
      problems.push(`${file.name} is larger than the ${formatSize(limit)} limit.`);
      row.textContent = `${label}: larger than the ${formatSize(limit)} limit`;
      row.className = "problem";
    } else {
      row.textContent = `${label}: fingerprinting…`;
    }
    list.append(row);
    return row;
  });
  // The browser itself then refuses to send the form, and says why.
  input.setCustomValidity(problems.join(" "));
  if (!files.length || problems.length) return;

  busy(form, 1);
  const hashes = [];
  try {
    for (const [index, file] of files.entries()) {
      let hash = "";
      try {
        const label = `${file.name} (${formatSize(file.size)})`;
        let shown = 0;
        hash = await sha256(file, (done) => {
          // Every tenth, not every slice: the list is a live region.
          const tenth = Math.floor(done * 10);
          if (file.size <= CHUNK_BYTES || tenth === shown || tenth === 10) return;
          shown = tenth;
          rows[index].textContent = `${label}: fingerprinting… ${tenth * 10} %`;
        });
        showFingerprint(rows[index], `${file.name} (${formatSize(file.size)})`, hash);
      } catch {
        rows[index].textContent = `${file.name} (${formatSize(file.size)}): fingerprinted on arrival instead`;
      }
      if (run !== input.evidenceRun) return; // another choice of files replaced this one
      hashes.push(hash);
    }
    for (const hash of hashes) {
      const hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = `${input.name}_sha256`;
      hidden.value = hash;
      hidden.dataset.evidenceHash = "";
      form.append(hidden);
    }
  } finally {
    busy(form, -1);
  }
}

for (const input of document.querySelectorAll("input[type=file][data-evidence]")) {
  input.addEventListener("change", () => fingerprint(input));
  if (input.files && input.files.length) fingerprint(input); // files kept by a back navigation
}
