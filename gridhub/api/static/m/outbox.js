// Check-ins wait here (IndexedDB) until the hub has them: each keeps the id and the time it
// was made, so one sent twice (a retry, two tabs, a page closed mid-send) is stored once. A
// photo waits beside its check-in (a Blob) and goes once the check-in is stored. An answer
// to an area warning (read, confirmed) waits here too, one per warning, only ever moving
// forward: confirmed made offline after read is sent once, as confirmed.
import { token } from "/static/js/api.js";

const DB = "gridhub-phone";
const WAITING = "outbox";
const REFUSED = "refused";
const RECEIPTS = "receipts";
const LOCK = "gridhub-outbox";
export const RECEIPT_STATES = ["sent", "delivered", "read", "confirmed"];
const REACHES = { received: "delivered", read: "read", confirmed: "confirmed" };
export const reaches = (status) => RECEIPT_STATES.indexOf(REACHES[status] ?? status);

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(WAITING)) db.createObjectStore(WAITING, { keyPath: "checkin.id" });
      if (!db.objectStoreNames.contains(REFUSED)) db.createObjectStore(REFUSED, { keyPath: "checkin.id" });
      if (!db.objectStoreNames.contains(RECEIPTS)) db.createObjectStore(RECEIPTS, { keyPath: "warning_id" });
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

// My answer to warning ``id`` waits to be sent; one further along than it replaces it, one
// behind it changes nothing (the hub would ignore it too).
export const keepReceipt = (id, status) => run(RECEIPTS, "readwrite", (s) => {
  const request = s.get(id);
  request.onsuccess = () => {
    const kept = request.result;
    if (!kept || reaches(status) > reaches(kept.status)) {
      s.put({ warning_id: id, status, at: new Date().toISOString() });
    }
  };
  return request;
});
export const waitingReceipts = () => run(RECEIPTS, "readonly", (s) => s.getAll());

// Dropped once the hub has it, unless a further answer was kept meanwhile (sent next time).
const dropReceipt = (sent) => run(RECEIPTS, "readwrite", (s) => {
  const request = s.get(sent.warning_id);
  request.onsuccess = () => {
    if (request.result && request.result.status === sent.status) s.delete(sent.warning_id);
  };
  return request;
});

// One answer: "sent", "refused" (the warning no longer applies to me, or is gone: the hub
// says why, and sending again would not help), or "wait" (no network, the hub unwell).
async function sendReceipt(entry) {
  const response = await fetch(`/api/v1/warnings/${entry.warning_id}/receipt`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json" },
    body: JSON.stringify({ status: entry.status, channel: "phone" }),
  });
  if ([403, 404, 422].includes(response.status)) {
    console.warn("gridhub: receipt refused:", await reason(response));
    await dropReceipt(entry);
    return "refused";
  }
  if (!response.ok) return "wait";
  await dropReceipt(entry);
  return "sent";
}

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
    for (const entry of await waitingReceipts()) {
      let outcome;
      try {
        outcome = await sendReceipt(entry);
      } catch {
        break;  // no network
      }
      if (outcome === "wait") break;
      if (outcome === "sent") sent += 1;
    }
    return sent;
  };
  // One sender at a time across this phone's tabs; the hub's dedup covers the rest.
  return navigator.locks ? navigator.locks.request(LOCK, send) : send();
}
