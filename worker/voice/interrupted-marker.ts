/** What IMS writes into an interrupted assistant turn (HistorySyncWithTTS) where the user cut in. */
export const INTERRUPTED_MARKER = "<ims_agent_interrupted>";

/**
 * Keeps IMS's interruption marker out of the spoken reply, wherever the stream splits it: a
 * model that saw it in the history may say it back. Text with no `<` in it, and nothing
 * held, passes as it is (the common case costs one indexOf).
 */
export class InterruptedMarkerStrip {
  /** The reply's tail while it may still become the marker. */
  #pending = "";

  push(text: string): string {
    if (this.#pending === "" && !text.includes("<")) return text;
    // One pass: the marker cannot overlap itself, so what is removed never depends on where the stream split.
    const s = (this.#pending + text).replaceAll(INTERRUPTED_MARKER, "");
    // The marker holds one `<`, at its start: only a tail from the last `<` can still become it.
    const at = s.lastIndexOf("<");
    this.#pending = at >= 0 && INTERRUPTED_MARKER.startsWith(s.slice(at)) ? s.slice(at) : "";
    return this.#pending ? s.slice(0, at) : s;
  }

  /** The reply ended: a tail that never became the marker is the model's own text. */
  end(): string {
    const rest = this.#pending;
    this.#pending = "";
    return rest;
  }
}
