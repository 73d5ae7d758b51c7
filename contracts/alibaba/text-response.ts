import * as z from "zod/mini";
import { doc, docs } from "../docs.ts";

export const TextResponse = doc(
  z.strictObject({ Text: doc(z.string(), docs && "The whole reply of the model.") }),
  docs && { title: "IMS Spec 2 response", description: "The 200 answer to a Spec 2 request: the model's whole reply." },
);

export type TextResponse = z.infer<typeof TextResponse>;
