// Check-ins wait here (IndexedDB) until the hub has them: each keeps the id and the time it
// was made, so one sent twice (a retry, two tabs, a page closed mid-send) is stored once.
import { token } from "/static/js/api.js";

const DB = "gridhub-phone";
const WAITING = "outbox";
const REFUSED = "refused";
const LOCK = "gridhub-outbox";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(WAITING, { keyPath: "id" });
      request.result.createObjectStore(REFUSED, { keyPath: "id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(store, mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const result = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(result.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const keep = (checkin) => run(WAITING, "readwrite", (s) => s.put(checkin));
export const waiting = () => run(WAITING, "readonly", (s) => s.getAll());
export const refused = () => run(REFUSED, "readonly", (s) => s.getAll());
const drop = (id) => run(WAITING, "readwrite", (s) => s.delete(id));

async function refuse(checkin, reason) {
  await run(REFUSED, "readwrite", (s) => s.put({ ...checkin, reason }));
  await drop(checkin.id);
}

// Send what waits, oldest first; stop at the first that cannot go now (no network, signed
// out, the hub down) and keep it. What the hub refuses (422) is kept apart with its reason:
// sending it again would not help, and nothing is lost without the worker seeing why.
// Returns how many were stored.
export async function flush() {
  const send = async () => {
    let sent = 0;
    const queue = (await waiting()).sort((a, b) => a.ts.localeCompare(b.ts));
    for (const checkin of queue) {
      let response;
      try {
        response = await fetch("/api/v1/checkins", {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${token()}` },
          body: JSON.stringify(checkin),
        });
      } catch {
        break;  // no network: try again when it is back
      }
      if (response.status === 200 || response.status === 201) {
        await drop(checkin.id);
        sent += 1;
      } else if (response.status === 422 || response.status === 403) {
        const detail = (await response.json().catch(() => ({}))).detail;
        await refuse(checkin, typeof detail === "string" ? detail : String(response.status));
      } else {
        break;  // signed out or the hub unwell: keep it
      }
    }
    return sent;
  };
  // One sender at a time across this phone's tabs; the hub's dedup covers the rest.
  return navigator.locks ? navigator.locks.request(LOCK, send) : send();
}
