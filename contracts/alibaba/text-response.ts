import * as z from "zod/mini";

export const TextResponse = z
  .strictObject({ Text: z.string().check(z.describe("The whole reply of the model.")) })
  .check(z.meta({ title: "IMS Spec 2 response", description: "The 200 answer to a Spec 2 request: the model's whole reply." }));

export type TextResponse = z.infer<typeof TextResponse>;
