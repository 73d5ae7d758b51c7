import * as z from "zod/mini";
import { doc, docs } from "../docs.ts";

// Spec 2 documents no error format; this follows the Code/Message/RequestId shape of
// Alibaba Cloud's own API errors, which Spec 2 server authors already know.

export const AlibabaErrorBody = doc(
  z.strictObject({
    Code: doc(z.string(), docs && "Machine-readable reason, e.g. InvalidParameter.Message; stable across releases."),
    Message: doc(z.string(), docs && "Human-readable; never contains secrets or message content."),
    RequestId: z.string(),
  }),
  docs && { title: "IMS Spec 2 error body", description: "The JSON body of every non-2xx Spec 2 response." },
);

export type AlibabaErrorBody = z.infer<typeof AlibabaErrorBody>;
