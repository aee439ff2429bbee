// The outbox on the device (docs/OFFLINE.md): forms kept in IndexedDB while the network is down, in
// the order they were sent, with every field and file as typed (the idempotency key included). Used
// by the pages (outbox.js, report.js) and by the service worker (/sw.js), so it touches no document.
const DB = "watchpost-outbox";
const STORE = "items";
const CHANGED = "watchpost-outbox";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const store = transaction.objectStore(STORE);
      let result;
      Promise.resolve(work(store)).then((value) => { result = value; }, reject);
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

const asPromise = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

// Every page and the worker hear of a change (another tab's send, the worker's keeping).
function changed() {
  try {
    const channel = new BroadcastChannel(CHANGED);
    channel.postMessage("changed");
    channel.close();
  } catch {
    // No BroadcastChannel: pages still look again on their own timer.
  }
}

export function onChange(callback) {
  try {
    new BroadcastChannel(CHANGED).addEventListener("message", () => callback());
  } catch {
    // As above.
  }
}

// item: { kind, url, fields: [[name, string | File], ...], user }. Returns the item's id.
export async function addItem(item) {
  const key = item.fields.find(([name]) => name === "idempotency_key")?.[1] ?? "";
  const id = await run("readwrite", async (store) => {
    // The same report kept twice (a second tap, the worker and the page both) stays one item.
    const all = await asPromise(store.getAll());
    const same = all.find((old) => old.key && old.key === key);
    const record = { ...same, ...item, key, queuedAt: same?.queuedAt ?? new Date().toISOString(), refused: null };
    return asPromise(store.put(record));
  });
  changed();
  return id;
}

export async function listItems() {
  return run("readonly", (store) => asPromise(store.getAll()));
}

export async function getItem(id) {
  return run("readonly", (store) => asPromise(store.get(id)));
}

export async function updateItem(id, changes) {
  await run("readwrite", async (store) => {
    const item = await asPromise(store.get(id));
    if (item) await asPromise(store.put({ ...item, ...changes }));
  });
  changed();
}

export async function removeItem(id) {
  await run("readwrite", (store) => asPromise(store.delete(id)));
  changed();
}
