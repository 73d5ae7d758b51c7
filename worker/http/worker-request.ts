import type { IRequestStrict } from "itty-router";
import type { RequestLog } from "../request-log.ts";

/**
 * A request as the routes see it: itty-router's params and query, plus the id every response
 * and log line carries and, once a route has begun, its log line (RequestLog.of).
 */
export type WorkerRequest = IRequestStrict & { requestId: string; log?: RequestLog };
