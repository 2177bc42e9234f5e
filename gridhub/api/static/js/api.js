// The hub's HTTP API with the signed-in user's bearer token (kept for this browser tab only).
const TOKEN_KEY = "gridhub.token";

export class Unauthorized extends Error {}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export async function signIn(username, password) {
  const body = new URLSearchParams({ username, password });
  const response = await fetch("/api/v1/auth/token", { method: "POST", body });
  if (!response.ok) {
    const detail = (await response.json().catch(() => ({}))).detail;
    throw new Error(typeof detail === "string" ? detail : `sign-in failed (${response.status})`);
  }
  sessionStorage.setItem(TOKEN_KEY, (await response.json()).access_token);
}

// A page's sign-in form (#sign-in, its error shown in #sign-in-error); signing in reloads the page.
export function signInForm() {
  const form = document.getElementById("sign-in");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      await signIn(data.get("username"), data.get("password"));
      location.reload();
    } catch (error) { document.getElementById("sign-in-error").textContent = error.message; }
  });
  return form;
}

export async function get(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (response.status === 401) {
    signOut();
    throw new Unauthorized(path);
  }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

// The hub's refusal, with its status and what it said (a 409 names the alert's state now).
export class Refused extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : detail?.message ?? `refused (${status})`);
    this.status = status;
    this.detail = detail;
  }
}

async function send(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    signOut();
    throw new Unauthorized(path);
  }
  if (!response.ok) {
    const detail = (await response.json().catch(() => ({}))).detail;
    throw new Refused(response.status, detail);
  }
  return response.status === 204 ? null : response.json();
}

export const post = (path, body) => send("POST", path, body);

// A picture behind the bearer token (an <img src> cannot send it), as an object URL.
export async function picture(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    const detail = (await response.json().catch(() => ({}))).detail;
    throw new Refused(response.status, detail);
  }
  return URL.createObjectURL(await response.blob());
}
