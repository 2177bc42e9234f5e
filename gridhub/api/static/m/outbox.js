// Check-ins wait here (IndexedDB) until the hub has them: each keeps the id and the time it
// was made, so one sent twice (a retry, two tabs, a page closed mid-send) is stored once. A
// photo waits beside its check-in (a Blob) and goes once the check-in is stored.
import { token } from "/static/js/api.js";

const DB = "gridhub-phone";
const WAITING = "outbox";
const REFUSED = "refused";
const LOCK = "gridhub-outbox";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(WAITING, { keyPath: "checkin.id" });
      request.result.createObjectStore(REFUSED, { keyPath: "checkin.id" });
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

export const keep = (checkin, photo = null) =>
  run(WAITING, "readwrite", (s) => s.put({ checkin, photo, stored: null }));
export const waiting = () => run(WAITING, "readonly", (s) => s.getAll());
export const refused = () => run(REFUSED, "readonly", (s) => s.getAll());
const drop = (id) => run(WAITING, "readwrite", (s) => s.delete(id));

async function refuse(entry, reason) {
  await run(REFUSED, "readwrite", (s) => s.put({ ...entry, reason }));
  await drop(entry.checkin.id);
}

const json = (response) => response.json().catch(() => ({}));
const reason = async (response) => {
  const detail = (await json(response)).detail;
  return typeof detail === "string" ? detail : String(response.status);
};

// One entry's next step: the check-in, then its photo. "sent", "refused", or "wait" (no
// network, signed out, the hub unwell: keep it for the next try).
async function step(entry) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (entry.stored === null) {
    const response = await fetch("/api/v1/checkins", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(entry.checkin),
    });
    if (response.status === 422 || response.status === 403) {
      await refuse(entry, await reason(response));
      return "refused";
    }
    if (response.status !== 200 && response.status !== 201) return "wait";
    entry.stored = (await json(response)).id;
    if (entry.photo) await run(WAITING, "readwrite", (s) => s.put(entry));
  }
  if (entry.photo) {
    const response = await fetch(`/api/v1/checkins/${entry.stored}/photo`, {
      method: "PUT", headers: { ...headers, "Content-Type": entry.photo.type }, body: entry.photo,
    });
    if ([403, 413, 422].includes(response.status)) {
      await refuse({ ...entry, photo: null }, await reason(response));  // the check-in is in
      return "refused";
    }
    if (!response.ok) return "wait";
  }
  await drop(entry.checkin.id);
  return "sent";
}

// Send what waits, oldest first; stop at the first that cannot go now and keep it. What the
// hub refuses (422) is kept apart with its reason: sending it again would not help, and
// nothing is lost without the worker seeing why. Returns how many were stored.
export async function flush() {
  const send = async () => {
    let sent = 0;
    const queue = (await waiting()).sort((a, b) => a.checkin.ts.localeCompare(b.checkin.ts));
    for (const entry of queue) {
      let outcome;
      try {
        outcome = await step(entry);
      } catch {
        break;  // no network: try again when it is back
      }
      if (outcome === "wait") break;
      if (outcome === "sent") sent += 1;
    }
    return sent;
  };
  // One sender at a time across this phone's tabs; the hub's dedup covers the rest.
  return navigator.locks ? navigator.locks.request(LOCK, send) : send();
}
