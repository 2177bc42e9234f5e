// The live event stream (Server-Sent Events) read with fetch: EventSource cannot send the
// bearer token. Reconnects after a drop, resuming after the last event seen.
import { token } from "./api.js";

const RETRY_MS = 2000;

export function follow(onEvent, onState = () => {}) {
  let lastId = null;
  async function connect() {
    const headers = { Authorization: `Bearer ${token()}` };
    if (lastId !== null) headers["Last-Event-ID"] = lastId;
    try {
      const response = await fetch("/api/v1/events", { headers });
      if (!response.ok) throw new Error(`events: ${response.status}`);
      onState("live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.id !== undefined) lastId = event.id;
          if (event.data !== undefined) onEvent(event.event, JSON.parse(event.data).data);
        }
      }
    } catch (error) {
      console.warn("live events:", error.message);
    }
    onState("reconnecting");
    setTimeout(connect, RETRY_MS);
  }
  connect();
}

function parse(block) {
  const event = {};
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;  // a keep-alive comment
    const at = line.indexOf(": ");
    if (at > 0) event[line.slice(0, at)] = line.slice(at + 2);
  }
  return event;
}
