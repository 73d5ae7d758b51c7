/**
 * How the mock upstream paces one reply. The bench sends it inside the request's last user
 * message, so the same profile reaches the mock whichever route (and whichever worker)
 * forwards the conversation: no shared state between the bench and the mock.
 */
export interface StreamProfile {
  /** Content chunks in the reply. */
  chunks: number;
  /** Characters of text in each content chunk. */
  size: number;
  /** Milliseconds before the first chunk (the model "thinking"). */
  firstMs: number;
  /** Milliseconds between chunks. */
  gapMs: number;
  /** Names the call in the mock's records, so both requests of one hedged call can be found (the hedging run). */
  call?: number;
}

/** Varied words, one of them multi-byte, so a decoder that splits UTF-8 wrongly garbles the text. */
const WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "naïve", "café", "voice"];

/** Chunk i of a reply: deterministic, so the client can check every character that came back. */
export function chunkText(i: number, size: number): string {
  let text = `${i}`;
  for (let w = i; text.length < size; w++) text += ` ${WORDS[w % WORDS.length]}`;
  return text.slice(0, size);
}

/** The whole reply the mock streams for a profile. */
export function replyText(profile: StreamProfile): string {
  let text = "";
  for (let i = 0; i < profile.chunks; i++) text += chunkText(i, profile.size);
  return text;
}

/** Prefix that marks a user message as a profile, so the mock can tell it from a normal prompt. */
const PROFILE_PREFIX = "bench-profile ";

export const profileMessage = (profile: StreamProfile) => `${PROFILE_PREFIX}${JSON.stringify(profile)}`;

function isProfile(value: unknown): value is StreamProfile {
  if (typeof value !== "object" || value === null) return false;
  const fields = value as Record<string, unknown>;
  return ["chunks", "size", "firstMs", "gapMs"].every((key) => Number.isInteger(fields[key]) && (fields[key] as number) >= 0);
}

/** The profile in a user message, or undefined when it carries none. */
export function readProfile(message: string): StreamProfile | undefined {
  if (!message.startsWith(PROFILE_PREFIX)) return undefined;
  try {
    const value: unknown = JSON.parse(message.slice(PROFILE_PREFIX.length));
    return isProfile(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
