// Evidence files: fingerprint each chosen file (SHA-256, Web Crypto) before it is sent, so that the
// server can refuse a file that changed on the way. For every input[type=file][data-evidence], the
// hashes go into hidden inputs named "<input name>_sha256", one per file, in the files' order.
// Without Web Crypto (a page served over plain HTTP) the hidden inputs stay empty and the server's
// own hash stands alone.

const subtle = globalThis.crypto && globalThis.crypto.subtle;

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

async function sha256(file) {
  return toHex(await subtle.digest("SHA-256", await file.arrayBuffer()));
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
      row.textContent = subtle ? `${label}: fingerprinting…` : label;
    }
    list.append(row);
    return row;
  });
  // The browser itself then refuses to send the form, and says why.
  input.setCustomValidity(problems.join(" "));
  if (!subtle || !files.length || problems.length) return;

  busy(form, 1);
  const hashes = [];
  try {
    for (const [index, file] of files.entries()) {
      let hash = "";
      try {
        hash = await sha256(file);
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
