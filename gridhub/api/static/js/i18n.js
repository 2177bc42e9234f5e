// The pages' words: the hub's catalogue for the chosen language (zh-CN first, English as a
// switch that this browser remembers), filled into [data-i18n] elements as text.
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
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = words[element.dataset.i18nPlaceholder] ?? element.dataset.i18nPlaceholder;
  }
  return (key, args = {}) =>
    (words[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(args[name] ?? ""));
}
