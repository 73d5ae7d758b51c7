import * as z from "zod/mini";

// IMS sends form fields, so every field is a string; Message and ExtendData hold JSON
// inside those strings and have schemas of their own below.

export const FormRequest = z
  .looseObject({
    Message: z.string().check(
      z.describe("The conversation, oldest first, as a JSON array of {role, content} held in a string (IMS keeps at most 20 records)."),
    ),
    Token: z.optional(z.string().check(z.describe("The verification token configured in the IMS console."))),
    ExtendData: z.optional(
      z.string().check(z.describe('IMS context as a JSON string: {"InstanceId": "...", "UserData": "<JSON string>"}. IMS always sends it.')),
    ),
  })
  .check(
    z.meta({
      title: "IMS Spec 2 form request",
      description:
        "What IMS POSTs (application/x-www-form-urlencoded or multipart/form-data) to the URL of a self-developed model on the Alibaba Cloud specification.",
    }),
  );

export const FormMessage = z.looseObject({
  role: z.string().check(
    z.describe("system, user or assistant; any other role (IMS's LlmHistory allows function, plugin and tool) is sent upstream as a user turn."),
  ),
  content: z.string(),
});

export const MessageField = z
  .array(FormMessage)
  .check(
    z.minLength(1),
    z.meta({
      title: "IMS Spec 2 Message field",
      description:
        "The decoded Message field. IMS documents it with Python-style single quotes; it is accepted both as JSON and in that form.",
    }),
  );

export const ExtendDataField = z
  .looseObject({
    InstanceId: z.optional(z.string().check(z.describe("The AI agent instance."))),
    UserData: z.optional(z.string().check(z.describe("The JSON string given when the instance was started."))),
  })
  .check(z.meta({ title: "IMS Spec 2 ExtendData field", description: "The decoded ExtendData field. Unknown keys are allowed." }));

export type FormRequest = z.infer<typeof FormRequest>;
export type FormMessage = z.infer<typeof FormMessage>;
export type ExtendDataField = z.infer<typeof ExtendDataField>;
