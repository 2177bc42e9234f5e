// The page's words: the hub's catalogue for the chosen language (zh-CN first, English as a
// switch), filled into [data-i18n] elements as text.
const LANGUAGE_KEY = "gridhub.language";

export function language() {
  return localStorage.getItem(LANGUAGE_KEY) || "zh-CN";
}

export function switchLanguage() {
  localStorage.setItem(LANGUAGE_KEY, language() === "zh-CN" ? "en" : "zh-CN");
  location.reload();
}

export async function loadWords() {
  const response = await fetch(`/api/v1/i18n/${language()}`);
  const words = await response.json();
  document.documentElement.lang = language();
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = words[element.dataset.i18n] ?? element.dataset.i18n;
  }
  return (key, args = {}) =>
    (words[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(args[name] ?? ""));
}

// An element with text (never HTML: residents and handlers wrote much of what is shown).
export function el(tag, text = "", attributes = {}) {
  const element = document.createElement(tag);
  if (text) element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}
