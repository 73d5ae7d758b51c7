import * as z from "zod/mini";

// A file of its own so the worker, which reads finish reasons, does not build the whole chunk schema.
export const FinishReason = z.enum(["stop", "length", "tool_calls", "content_filter", "function_call"]);

export type FinishReason = z.infer<typeof FinishReason>;
