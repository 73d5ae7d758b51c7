import * as z from "zod/mini";

// Spec 2 documents no error format; this follows the Code/Message/RequestId shape of
// Alibaba Cloud's own API errors, which Spec 2 server authors already know.

export const AlibabaErrorBody = z
  .strictObject({
    Code: z.string().check(z.describe("Machine-readable reason, e.g. InvalidParameter.Message; stable across releases.")),
    Message: z.string().check(z.describe("Human-readable; never contains secrets or message content.")),
    RequestId: z.string(),
  })
  .check(z.meta({ title: "IMS Spec 2 error body", description: "The JSON body of every non-2xx Spec 2 response." }));

export type AlibabaErrorBody = z.infer<typeof AlibabaErrorBody>;
