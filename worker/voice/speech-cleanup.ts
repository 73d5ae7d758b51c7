/** Characters that may start markdown syntax anywhere in a line; text without them (and no state) passes as it is. */
const INLINE_SYNTAX = /[*_~`[\]!|<\n]/;
/** IMS's command tags pass untouched, whatever they hold (an endword with a `*` in it, say). */
const IMS_TAG = "<imsagent_";

const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";
const PUNCTUATION = /[\p{P}\p{S}]/u;
/** Chinese, Japanese and Korean text has no spaces between words, so its characters bound a marker as a space would. */
const CJK = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/;
/** Start or end of text, a space, punctuation or a CJK character: where emphasis may open or close. */
const isBoundary = (c: string) => c === "" || isSpace(c) || PUNCTUATION.test(c) || CJK.test(c);
const isWordChar = (c: string) => /[\p{L}\p{N}]/u.test(c);

/** Whole words that are markers when they start a line: heading, bullet, numbered item, quote, rule. */
const LINE_MARKER = /^(?:#{1,6}|[-*+]|\d{1,9}[.)]|>+|-{3,}|\*{3,}|_{3,})$/;
/** A line that starts with one of these is held until its first word is whole, to tell a marker from text. */
const LINE_SYNTAX = /^[#*+\->|`~_\d]/;
/** A table's separator row (|---|:--:|), said as nothing. */
const TABLE_RULE = /^[|:-]*-[|:-]*$/;

/**
 * Markdown turned into what a speech engine should say, on a stream: headings, list markers,
 * emphasis, code backticks and fences, link and image syntax, table pipes and rules are
 * removed, the words kept. It decides with CommonMark's flanking rules (a `*` between two
 * letters or digits, as in 2*3, is not emphasis; `_` inside a word, as in snake_case, never
 * is), so it needs to see at most one word ahead: text is held back only while a marker may
 * still be completing, never past the next whitespace or the end of the reply.
 */
export class SpeechCleanup {
  /** The undecided tail of the text: part of one word, never whitespace. */
  #pending = "";
  /** The last character decided, for the flanking rules at the start of the next read. */
  #prev = "";
  #lineStart = true;
  #fence = false;
  #code = false;
  #table = false;
  /** Inside an IMS command tag: passed as it is up to its `>`. */
  #tag = false;
  /** Inside a link's (url): dropped up to its `)`. */
  #url = false;
  /** The last character was a link's `]`: a `(` now opens its url. */
  #afterLink = false;
  /** A marker was dropped: so are the spaces after it. */
  #skipSpace = false;
  #links = 0;
  /** Line breaks since the last word: two end a paragraph. */
  #newlines = 0;
  /** Emphasis markers opened and not yet closed, e.g. "**". */
  #open: string[] = [];

  push(text: string): string {
    if (this.#pending === "" && !INLINE_SYNTAX.test(text) && !this.#lineStart && !this.#table && !this.#tag && !this.#url && !this.#afterLink && !this.#skipSpace) {
      if (text) this.#prev = text[text.length - 1]!;
      return text;
    }
    return this.#run(this.#pending + text, false);
  }

  end(): string {
    return this.#pending ? this.#run(this.#pending, true) : "";
  }

  /**
   * Says s from its start; a tail that the stream must still decide is kept in pending
   * (never when final: the reply has ended).
   */
  #run(s: string, final: boolean): string {
    this.#pending = "";
    let out = "";
    let i = 0;
    const n = s.length;
    while (i < n) {
      const c = s[i]!;
      if (this.#afterLink) {
        this.#afterLink = false;
        if (c === "(") {
          this.#url = true;
          i++;
          continue;
        }
      }
      if (this.#tag) {
        const close = s.indexOf(">", i);
        const to = close < 0 ? n : close + 1;
        out += s.slice(i, to);
        this.#tag = close < 0;
        i = to;
        continue;
      }
      if (this.#url) {
        let j = i;
        while (j < n && s[j] !== ")" && !isSpace(s[j]!)) j++;
        this.#url = j === n;
        i = j < n && s[j] === ")" ? j + 1 : j;
        continue;
      }
      if (isSpace(c)) {
        let j = i + 1;
        while (j < n && isSpace(s[j]!)) j++;
        const spaces = s.slice(i, j);
        const newlines = spaces.split("\n").length - 1;
        // The spaces after a dropped marker may come in several reads: all are dropped, up to the next word or line.
        if (!this.#skipSpace || newlines > 0) out += spaces;
        if (newlines > 0) {
          this.#skipSpace = false;
          this.#lineStart = true;
          this.#table = false;
          this.#links = 0;
          // Emphasis and inline code end with their paragraph, whose blank line may come in two reads.
          this.#newlines += newlines;
          if (this.#newlines > 1) {
            this.#open = [];
            this.#code = false;
          }
        }
        i = j;
        continue;
      }
      let j = i;
      while (j < n && !isSpace(s[j]!)) j++;
      const whole = j < n || final;
      const word = s.slice(i, j);
      this.#skipSpace = false;
      this.#newlines = 0;
      const held = this.#lineSyntax(word, whole);
      if (held === "hold") return this.#hold(s, i, out);
      if (held) {
        out += this.#said;
        i = j;
        continue;
      }
      const at = this.#inline(s, i, j, whole, final);
      out += this.#said;
      if (this.#held) return this.#hold(s, at, out);
      i = at;
    }
    if (n > 0) this.#prev = s[n - 1]!;
    return out;
  }

  #hold(s: string, from: number, out: string): string {
    this.#pending = s.slice(from);
    if (from > 0) this.#prev = s[from - 1]!;
    return out;
  }

  /**
   * A word where only a line's start or a table row gives it meaning: true when it was such
   * syntax (and is dropped, or in a code block said as it is), "hold" while it is not whole.
   */
  #lineSyntax(word: string, whole: boolean): boolean | "hold" {
    const fenceMark = word.startsWith("```") || word.startsWith("~~~");
    this.#said = "";
    if (this.#fence) {
      // In a code block everything is said as written, up to the fence that closes it.
      if (this.#lineStart && !whole && (word[0] === "`" || word[0] === "~")) return "hold";
      if (this.#lineStart && fenceMark) this.#fence = false;
      else this.#said = word;
      this.#lineStart = false;
      return true;
    }
    if (this.#lineStart) {
      if (!whole && LINE_SYNTAX.test(word)) return "hold";
      if (fenceMark) {
        this.#fence = true;
        this.#lineStart = false;
        return true;
      }
      if (LINE_MARKER.test(word)) {
        // A quote can hold a list: the line still starts after its `>`.
        this.#lineStart = word[0] === ">";
        this.#skipSpace = true;
        return true;
      }
      this.#lineStart = false;
      if (word[0] === "|") this.#table = true;
    }
    if (this.#table && /^[|:-]/.test(word)) {
      if (!whole) return "hold";
      if (TABLE_RULE.test(word)) {
        this.#skipSpace = true;
        return true;
      }
    }
    return false;
  }

  /** What inline() decided to say; whether it stopped at a marker that must wait for more text. */
  #said = "";
  #held = false;

  /**
   * One word's inline syntax, from i up to j. Returns where it stopped: j, the start of a
   * marker held back (this.#held), or where an IMS tag or a link's url begins (run() goes on there).
   */
  #inline(s: string, i: number, j: number, whole: boolean, final: boolean): number {
    let out = "";
    let from = i;
    this.#held = false;
    const stop = (k: number, held: boolean) => {
      this.#said = out;
      this.#held = held;
      return k;
    };
    for (let k = i; k < j; ) {
      const c = s[k]!;
      if (this.#code ? c !== "`" : !"*_~`[]!|<".includes(c)) {
        k++;
        continue;
      }
      out += s.slice(from, k);
      from = k;
      if (c === "`" || c === "*" || c === "_" || c === "~") {
        let m = k + 1;
        while (m < j && s[m] === c) m++;
        // The run may go on, or what follows decides it.
        if (m === s.length && !final) return stop(k, true);
        if (c === "`") {
          this.#code = !this.#code;
          from = k = m;
          continue;
        }
        const decided = this.#emphasis(s, s.slice(k, m), k, m, j, whole);
        if (decided === "hold") return stop(k, true);
        if (decided) from = m;
        k = m;
        continue;
      }
      if (c === "!" || c === "<") {
        const wanted = c === "!" ? "![" : IMS_TAG;
        const seen = s.slice(k, Math.min(j, k + wanted.length));
        if (seen.length < wanted.length && !whole && wanted.startsWith(seen)) return stop(k, true);
        if (seen === wanted && c === "<") {
          this.#tag = true;
          return stop(k, false);
        }
        if (seen === wanted) from = k + 1;
        k++;
        continue;
      }
      if (c === "[") {
        if (isBoundary(k > 0 ? s[k - 1]! : this.#prev)) {
          this.#links++;
          from = k + 1;
        }
        k++;
        continue;
      }
      if (c === "]") {
        if (this.#links > 0) {
          this.#links--;
          from = k + 1;
          // run() opens the url if a `(` follows, now or in the next read.
          this.#afterLink = true;
          return stop(k + 1, false);
        }
        k++;
        continue;
      }
      // A table's cell border: a space between cells, nothing at the row's ends.
      if (this.#table) {
        if (k > i && k + 1 < j) out += " ";
        else this.#skipSpace = k === i && k + 1 === j;
        from = k + 1;
      }
      k++;
    }
    out += s.slice(from, j);
    return stop(j, false);
  }
  /**
   * An emphasis run from k to m: dropped (true), said (false), or "hold" while the rest of the
   * word must be seen first. `_` opens only where a matching `_` closes the same word or where
   * the word holds no other `_`: __init__.py and snake_case stay as they are.
   */
  #emphasis(s: string, run: string, k: number, m: number, j: number, whole: boolean): boolean | "hold" {
    const c = run[0]!;
    if (c === "~" && run.length < 2) return false;
    const p = k > 0 ? s[k - 1]! : this.#prev;
    const q = m < s.length ? s[m]! : "";
    const left = q !== "" && !isSpace(q) && (!PUNCTUATION.test(q) || isBoundary(p));
    const right = p !== "" && !isSpace(p) && (!PUNCTUATION.test(p) || isBoundary(q));
    const opened = this.#open.lastIndexOf(run);
    if (right && opened >= 0 && (c !== "_" || this.#closesUnderscore(s, m))) {
      this.#open.length = opened;
      return true;
    }
    if (!left || !isBoundary(p)) return false;
    if (c === "_") {
      if (!whole) return "hold";
      const rest = s.slice(m, j);
      const closer = rest.indexOf(run);
      if (rest.includes("_") && !(closer >= 0 && this.#closesUnderscore(s, m + closer + run.length) && !rest.slice(0, closer).includes("_"))) return false;
    }
    this.#open.push(run);
    return true;
  }

  /** Whether an `_` run ending at m closes: followed by a boundary, but not by `.` and a letter (a file's extension). */
  #closesUnderscore(s: string, m: number): boolean {
    const q = m < s.length ? s[m]! : "";
    if (!isBoundary(q)) return false;
    return !(q !== "" && PUNCTUATION.test(q) && isWordChar(m + 1 < s.length ? s[m + 1]! : ""));
  }
}
