import type { StreamProfile } from "./stream-profile.ts";

export interface Scenario {
  name: string;
  profile: StreamProfile;
  concurrency: number;
  /** Requests per target per round: enough that CPU ticks (10 ms each) are a small error. */
  requests: number;
}

/** No delays: every millisecond and CPU tick measured is overhead. */
const ZERO: StreamProfile = { chunks: 50, size: 12, firstMs: 0, gapMs: 0 };
/** A voice reply from a real model: a short think, then tokens at a steady pace. */
const PACED: StreamProfile = { chunks: 50, size: 12, firstMs: 200, gapMs: 20 };

/** The scenarios of PERFORMANCE.md; each runs on every target (direct, floor, Spec 1, Spec 2). */
export const fullScenarios: Scenario[] = [
  { name: "zero delays, C=1", profile: ZERO, concurrency: 1, requests: 100 },
  { name: "zero delays, C=8", profile: ZERO, concurrency: 8, requests: 400 },
  { name: "paced 200+50x20ms, C=16", profile: PACED, concurrency: 16, requests: 160 },
];

/** Small versions of the same, for CI: they prove the harness runs and every answer is right. */
export const quickScenarios: Scenario[] = [
  { name: "zero delays, C=1", profile: ZERO, concurrency: 1, requests: 4 },
  { name: "zero delays, C=8", profile: ZERO, concurrency: 8, requests: 16 },
  { name: "paced 20+10x2ms, C=4", profile: { chunks: 10, size: 12, firstMs: 20, gapMs: 2 }, concurrency: 4, requests: 8 },
];
