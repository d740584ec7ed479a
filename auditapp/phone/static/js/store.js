// The phone's own copy of everything (IndexedDB): what the shopper did is kept here first and sent
// when the network allows. DOM-free, so the service worker uses it too.

const DB_NAME = "auditapp";
const DB_VERSION = 1;
// meta: session and preferences; checklists: definitions by "key@version"; audits: the server's view;
// work: the shopper's local answers per audit; photos: files by hash; queue: submits waiting to be sent.
const STORES = {
  meta: "key", checklists: "id", audits: "id", work: "id", photos: "sha256", queue: "audit_id",
};

let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const [name, keyPath] of Object.entries(STORES)) {
          if (!db.objectStoreNames.contains(name)) {
            const store = db.createObjectStore(name, { keyPath });
            if (name === "photos") store.createIndex("audit_id", "audit_id");
          }
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab deleting the database (logout) must not be blocked by this one.
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function tx(store, mode, action) {
  const db = await openDb();
  const transaction = db.transaction(store, mode);
  const result = await done(action(transaction.objectStore(store)));
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
  return result;
}

export const get = (store, key) => tx(store, "readonly", (s) => s.get(key));
export const all = (store) => tx(store, "readonly", (s) => s.getAll());
export const put = (store, value) => tx(store, "readwrite", (s) => s.put(value));
export const remove = (store, key) => tx(store, "readwrite", (s) => s.delete(key));
export const photosOf = (auditId) => tx("photos", "readonly", (s) => s.index("audit_id").getAll(auditId));

export async function getMeta(key, fallback = null) {
  const row = await get("meta", key);
  return row ? row.value : fallback;
}

export const setMeta = (key, value) => put("meta", { key, value });

/** Read-modify-write of one record in one transaction, so that two quick edits never lose one. */
export async function update(store, key, change) {
  const db = await openDb();
  const transaction = db.transaction(store, "readwrite");
  const objects = transaction.objectStore(store);
  const current = await done(objects.get(key));
  const next = change(current);
  if (next !== undefined) objects.put(next);
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
  });
  return next;
}

/** Everything of this user gone: logout, or another shopper logging in on the same phone. */
export async function wipe() {
  if (opening) {
    (await opening).close();
    opening = null;
  }
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = resolve;
    request.onerror = () => reject(request.error);
    request.onblocked = resolve; // closed above; other tabs close on versionchange
  });
}
