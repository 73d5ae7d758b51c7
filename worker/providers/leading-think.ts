import type { Delta } from "./provider.ts";

const OPEN = "<think>";
const CLOSE = "</think>";
/** Whitespace a reply may start with before its <think>; past this much it is simply text. */
const MAX_LEADING_CHARS = 64;

/** Nothing but whitespace or the start of "<think>" has been read: held back. */
const OPENING = 0;
/** Inside the block: nothing is spoken; only a tail that could begin "</think>" is kept. */
const INSIDE = 1;
/** Just past the block: the whitespace that separates it from the reply is dropped. */
const AFTER = 2;
/** The reply proper: every piece is text as it came. */
const PASSING = 3;

/**
 * A thinking model served without a reasoning parser (vLLM, Ollama, llama.cpp with some
 * templates) writes its reasoning at the start of `content` as <think>...</think>. That block
 * is left out, like `reasoning_content`, wherever the network split the tags. Only a leading
 * block counts: a reply that starts with anything else is passed on from its first piece, and
 * then each piece costs one comparison.
 */
export class LeadingThink {
  #state: number = OPENING;
  #held = "";

  text(content: string, batch: Delta[]): void {
    if (this.#state === PASSING) {
      batch.push({ kind: "text", text: content });
      return;
    }
    const seen = this.#held + content;
    if (this.#state === OPENING) {
      const start = seen.trimStart();
      if (start.startsWith(OPEN)) {
        this.#state = INSIDE;
        this.#held = "";
        this.#inside(start.slice(OPEN.length), batch);
      } else if (seen.length <= MAX_LEADING_CHARS && OPEN.startsWith(start)) {
        this.#held = seen;
      } else {
        this.#pass(seen, batch);
      }
    } else if (this.#state === INSIDE) {
      this.#inside(seen, batch);
    } else {
      this.#after(content, batch);
    }
  }

  /** At the reply's finish or [DONE]: what was held back as a possible opening tag was text after all. */
  end(batch: Delta[]): void {
    if (this.#state === OPENING && this.#held !== "") this.#pass(this.#held, batch);
  }

  #inside(seen: string, batch: Delta[]) {
    const at = seen.indexOf(CLOSE);
    if (at < 0) {
      this.#held = seen.slice(-(CLOSE.length - 1));
      return;
    }
    this.#state = AFTER;
    this.#held = "";
    this.#after(seen.slice(at + CLOSE.length), batch);
  }

  #after(content: string, batch: Delta[]) {
    const rest = content.trimStart();
    if (rest === "") return;
    this.#state = PASSING;
    batch.push({ kind: "text", text: rest });
  }

  #pass(text: string, batch: Delta[]) {
    this.#state = PASSING;
    this.#held = "";
    batch.push({ kind: "text", text });
  }
}
