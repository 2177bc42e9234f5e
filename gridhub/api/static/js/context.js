// What every panel of the console shares: the map, the words, the hub's rules (/api/v1/meta),
// the signed-in user, the live stream's events, and the detail panel. A panel is a module
// that takes this context (alerts, cameras, sensors, workers, grids; the flood view plugs in
// the same way).
import { el } from "./dom.js";

export function makeContext({ map, t, meta, me, config, detail }) {
  const handlers = [];
  const severities = new Map(meta.severities.map((s) => [s.name, s]));
  const states = new Map(meta.alert_states.map((s) => [s.name, s]));
  const clock = new Intl.DateTimeFormat(document.documentElement.lang, {
    timeZone: config.timezone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const context = {
    map, t, meta, me, config,
    // A word of a group (severity, status, role, kind, camera_status…), or the value itself.
    word(group, value) {
      if (value === null || value === undefined) return "";
      const key = `${group}.${value}`;
      const text = t(key);
      return text === key ? String(value) : text;
    },
    // An alert's title in the page's language, from its key and arguments when it has them.
    title(alert) {
      if (!alert.title_key) return alert.title;
      const args = {};
      for (const [name, value] of Object.entries(alert.title_args ?? {})) {
        const group = meta.translated_args[name];
        if (value !== null && typeof value === "object") {
          args[name] = value[document.documentElement.lang] ?? Object.values(value)[0] ?? "";
        } else args[name] = group && typeof value === "string" ? context.word(group, value) : value;
      }
      const text = t(alert.title_key, args);
      return text === alert.title_key ? alert.title : text;
    },
    time: (iso) => (iso ? clock.format(new Date(iso)) : ""),
    colour: (severity) => severities.get(severity)?.colour ?? "#718096",
    rank: (severity) => severities.get(severity)?.rank ?? -1,
    isOpen: (status) => states.get(status)?.open ?? false,
    // Replace the detail panel's content; on a phone the bottom sheet opens to show it.
    show(...children) {
      detail.replaceChildren(...children);
      document.body.classList.add("sheet-open");
      detail.scrollIntoView?.({ block: "start" });
    },
    clear() {
      detail.replaceChildren(el("p", { class: "hint" }, t("page.map.hint")));
    },
    on(handler) { handlers.push(handler); },
    dispatch(type, data) { for (const handler of handlers) handler(type, data); },
  };
  return context;
}
