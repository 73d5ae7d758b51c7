export type Level = "MUST" | "SHOULD";

/** What one check found. A failed SHOULD is reported as a warning. */
export interface Finding {
  ok: boolean;
  /** Why it failed, or a note on a pass. */
  detail?: string;
  expected?: string;
  actual?: string;
  /** A measured figure, e.g. time to first token. */
  figure?: { name: string; value: number; unit: string };
  /** The check could not apply to this target (e.g. no token configured). */
  skipped?: boolean;
}

export interface Check<Probes> {
  /** Stable id, e.g. openai.done-once; --only takes these. */
  id: string;
  level: Level;
  /** The spec clause or known client behaviour the check comes from. */
  clause: string;
  title: string;
  run: (probes: Probes) => Promise<Finding>;
}

export const pass = (detail?: string, figure?: Finding["figure"]): Finding => ({ ok: true, ...(detail && { detail }), ...(figure && { figure }) });
export const fail = (detail: string, expected?: string, actual?: string): Finding => ({
  ok: false,
  detail,
  ...(expected !== undefined && { expected }),
  ...(actual !== undefined && { actual }),
});
export const skip = (detail: string): Finding => ({ ok: true, skipped: true, detail });

/** Runs `make` once, on first use, and shares the promise: several checks read one request. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= make());
}

/** Shortens a body or line for a report. */
export const excerpt = (text: string, max = 160) => (text.length > max ? `${text.slice(0, max)}…` : text);
