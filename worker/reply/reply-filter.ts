import type { VoiceSettings } from "../config.ts";
import type { Delta } from "../providers/provider.ts";
import { InterruptedMarkerStrip } from "../voice/interrupted-marker.ts";
import { SpeechCleanup } from "../voice/speech-cleanup.ts";

type Batch = readonly Delta[];

/**
 * What the reply's text goes through before either route sees it: IMS's interruption marker is
 * always taken out, markdown too with SPEECH_CLEANUP=markdown. It runs synchronously on each
 * batch where the batch is read, so it costs no stream stage and no promise; a batch whose
 * text it leaves as it is comes back as the same array. Text held back while a marker may still
 * be completing comes out before the next tool call or finish, or when the reply ends.
 */
export class ReplyFilter {
  readonly #marker = new InterruptedMarkerStrip();
  readonly #cleanup: SpeechCleanup | undefined;

  constructor(voice: VoiceSettings) {
    this.#cleanup = voice.speechCleanup === "markdown" ? new SpeechCleanup() : undefined;
  }

  #say(text: string): string {
    const plain = this.#marker.push(text);
    return this.#cleanup ? this.#cleanup.push(plain) : plain;
  }

  #rest(): string {
    const tail = this.#marker.end();
    return this.#cleanup ? this.#cleanup.push(tail) + this.#cleanup.end() : tail;
  }

  batch(deltas: Batch): Batch {
    let out: Delta[] | undefined;
    for (let i = 0; i < deltas.length; i++) {
      const delta = deltas[i]!;
      let replaced: Delta | undefined;
      let before: string | undefined;
      if (delta.kind === "text") {
        const text = this.#say(delta.text);
        if (text !== delta.text) replaced = { kind: "text", text };
      } else if (delta.kind !== "usage") {
        before = this.#rest();
      }
      if (!out && (replaced || before)) out = deltas.slice(0, i);
      if (out) {
        if (before) out.push({ kind: "text", text: before });
        out.push(replaced ?? delta);
      }
    }
    return out ?? deltas;
  }

  /** The held-back text when the reply ends; "" when there is none. */
  end(): string {
    return this.#rest();
  }
}
