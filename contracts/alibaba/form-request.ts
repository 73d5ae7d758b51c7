import * as z from "zod/mini";
import { doc, docs } from "../docs.ts";

// IMS sends form fields, so every field is a string; Message and ExtendData hold JSON
// inside those strings and have schemas of their own below.

const text = (description: string | false) => doc(z.string(), description);

export const FormRequest = doc(
  z.looseObject({
    Message: text(docs && "The conversation, oldest first, as a JSON array of {role, content} held in a string (IMS keeps at most 20 records)."),
    Token: z.optional(text(docs && "The verification token configured in the IMS console.")),
    ExtendData: z.optional(text(docs && 'IMS context as a JSON string: {"InstanceId": "...", "UserData": "<JSON string>"}. IMS always sends it.')),
  }),
  docs && {
    title: "IMS Spec 2 form request",
    description:
      "What IMS POSTs (application/x-www-form-urlencoded or multipart/form-data) to the URL of a self-developed model on the Alibaba Cloud specification.",
  },
);

export const FormMessage = z.looseObject({
  role: text(docs && "system, user or assistant; any other role (IMS's LlmHistory allows function, plugin and tool) is sent upstream as a user turn."),
  content: z.string(),
});

export const MessageField = doc(z.array(FormMessage).check(z.minLength(1)), docs && {
  title: "IMS Spec 2 Message field",
  description: "The decoded Message field. IMS documents it with Python-style single quotes; it is accepted both as JSON and in that form.",
});

export const ExtendDataField = doc(
  z.looseObject({
    InstanceId: z.optional(text(docs && "The AI agent instance.")),
    UserData: z.optional(text(docs && "The JSON string given when the instance was started.")),
  }),
  docs && { title: "IMS Spec 2 ExtendData field", description: "The decoded ExtendData field. Unknown keys are allowed." },
);

export type FormRequest = z.infer<typeof FormRequest>;
export type FormMessage = z.infer<typeof FormMessage>;
export type ExtendDataField = z.infer<typeof ExtendDataField>;
