import * as z from "zod/mini";
import { doc, docs } from "../docs.ts";

export const OpenAIErrorBody = doc(
  z.strictObject({
    error: z.strictObject({
      message: doc(z.string(), docs && "Human-readable; never contains secrets or message content."),
      type: doc(z.string(), docs && "Error class, e.g. invalid_request_error, authentication_error, server_error."),
      param: doc(z.nullable(z.string()), docs && "The request field at fault, as a dotted path, or null."),
      code: doc(z.nullable(z.string()), docs && "Machine-readable reason, stable across releases."),
    }),
  }),
  docs && {
    title: "OpenAI-style error body",
    description:
      "The JSON body of every non-2xx Spec 1 response, and the data of the single error event sent when a stream fails after it began.",
  },
);

export type OpenAIErrorBody = z.infer<typeof OpenAIErrorBody>;
