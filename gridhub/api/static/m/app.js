// The grid worker's phone (/m/): sign in once, then check in, take the alerts, answer the
// area warnings; with no signal the app still opens (service worker) and check-ins wait in
// the outbox until the network returns.
import { get, signIn, signOut, token, Unauthorized } from "/static/js/api.js";
import { follow } from "/static/js/stream.js";
import { loadWords, switchLanguage } from "/static/js/report/words.js";
import { Alerts } from "./alerts.js";
import * as outbox from "./outbox.js";
import { cachedPatrol, forgetPatrol, Patrol, rememberPatrol, showOutbox } from "./patrol.js";

// api.js keeps the token for one tab (sessionStorage); a phone stays signed in across
// restarts, so the token is kept here too, and handed back to api.js at start.
const TOKEN_KEY = "gridhub.phone.token";
const SESSION_KEY = "gridhub.token";
const RETRY_MS = 20000;

let t;
let patrol;
let alerts;

async function start() {
  t = await loadWords();
  document.getElementById("language").addEventListener("click", switchLanguage);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch((error) =>
      console.warn("service worker:", error.message));
  }
  const kept = localStorage.getItem(TOKEN_KEY);
  if (kept && !token()) sessionStorage.setItem(SESSION_KEY, kept);
  window.addEventListener("online", () => { network(); send(); });
  window.addEventListener("offline", network);
  network();
  document.getElementById("signin").addEventListener("submit", (event) => {
    event.preventDefault();
    enter();
  });
  document.getElementById("signout").addEventListener("click", leave);
  window.gridhub = { outbox, send };  // for tests and the curious
  if (token()) await open();
  else document.getElementById("signin").hidden = false;
  document.body.dataset.ready = "true";
}

function network() {
  const badge = document.getElementById("network");
  badge.textContent = t(navigator.onLine ? "page.phone.online" : "page.phone.offline");
  badge.className = navigator.onLine ? "online" : "offline";
}

async function enter() {
  const error = document.getElementById("signin-error");
  error.textContent = "";
  try {
    await signIn(document.getElementById("username").value, document.getElementById("password").value);
  } catch (failure) {
    error.textContent = t("page.phone.signin_failed", { reason: failure.message });
    return;
  }
  localStorage.setItem(TOKEN_KEY, token());
  document.getElementById("signin").hidden = true;
  await open();
}

function leave() {
  signOut();
  localStorage.removeItem(TOKEN_KEY);
  forgetPatrol();
  location.reload();
}

async function open() {
  document.getElementById("app").hidden = false;
  patrol = new Patrol(t);
  patrol.onChange = send;
  alerts = new Alerts(t);
  alerts.onAnswer = send;
  const sos = document.getElementById("sos-confirm");
  document.getElementById("sos").addEventListener("click", () => sos.showModal());
  document.getElementById("sos-cancel").addEventListener("click", () => sos.close());
  document.getElementById("sos-send").addEventListener("click", () => {
    sos.close();
    patrol.checkIn("sos");
  });
  const cached = cachedPatrol();
  if (cached) draw(cached, null);
  patrol.locate().catch(() => undefined);  // my position on the map from the start
  await showOutbox(t);
  await reload();
  await send();
  follow((type) => {
    if (type.startsWith("alert.")) alerts.refresh().catch(() => undefined);
  });
  setInterval(send, RETRY_MS);
}

function draw(mine, tiles) {
  document.getElementById("who").textContent = mine.member
    ? t("page.phone.who", { name: mine.member.name, code: mine.member.code })
    : t("page.phone.not_linked");
  patrol.show(mine, tiles);
}

// What the hub knows of me now; with no network, what it said last time stays on screen.
async function reload() {
  try {
    const [mine, tiles] = await Promise.all([get("/api/v1/me/patrol"), get("/api/v1/map")]);
    rememberPatrol(mine);
    draw(mine, tiles);
    await alerts.refresh();
  } catch (error) {
    if (error instanceof Unauthorized) leave();
    else console.warn("gridhub:", error.message);  // no network: the last view stays
  }
}

async function send() {
  const sent = await outbox.flush();
  await showOutbox(t);
  if (sent) await reload();
}

start();
