import type { IRequestStrict } from "itty-router";

/** A request as the routes see it: itty-router's params and query, plus the id every response and log line carries. */
export type WorkerRequest = IRequestStrict & { requestId: string };
