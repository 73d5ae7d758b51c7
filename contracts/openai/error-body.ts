import * as z from "zod/mini";

export const OpenAIErrorBody = z
  .strictObject({
    error: z.strictObject({
      message: z.string().check(z.describe("Human-readable; never contains secrets or message content.")),
      type: z.string().check(z.describe("Error class, e.g. invalid_request_error, authentication_error, server_error.")),
      param: z.nullable(z.string()).check(z.describe("The request field at fault, as a dotted path, or null.")),
      code: z.nullable(z.string()).check(z.describe("Machine-readable reason, stable across releases.")),
    }),
  })
  .check(
    z.meta({
      title: "OpenAI-style error body",
      description:
        "The JSON body of every non-2xx Spec 1 response, and the data of the single error event sent when a stream fails after it began.",
    }),
  );

export type OpenAIErrorBody = z.infer<typeof OpenAIErrorBody>;
