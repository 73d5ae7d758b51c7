import { describe, expect, it } from "vitest";
import { chatRequestCheck } from "../../worker/http/request-checks.ts";
import { ApiError } from "../../worker/http/api-error.ts";
import { validate } from "../../worker/http/validate.ts";

const failure = (value: unknown) => {
  try {
    validate(chatRequestCheck, value);
  } catch (error) {
    if (error instanceof ApiError) return { param: error.param, message: error.message };
  }
  throw new Error("expected a validation failure");
};

describe("validate turns the first issue into one sentence naming the field", () => {
  it.each([
    [{ messages: [{ role: "user", content: "x" }] }, "model", "model is required."],
    [{ model: 1, messages: [] }, "model", "model expected string, got number."],
    [{ model: "m", messages: [] }, "messages", "messages must have at least 1 item(s)."],
    [{ model: "m", messages: [{ role: 5 }] }, "messages.0.role", "messages.0.role expected string, got number."],
    [{ model: "m", messages: [{ content: "x" }] }, "messages.0.role", "messages.0.role is required."],
    [{ model: "m", messages: [{ role: "user", content: 5 }] }, "messages.0.content", "messages.0.content expected string or array, got number."],
    [{ model: "m", messages: [{ role: "user", content: [{ type: "text" }] }] }, "messages.0.content.0.text", "messages.0.content.0.text is required."],
    [{ model: "m", messages: [{ role: "user", content: "x" }], n: 3 }, "n", "n must be 1."],
    [[], undefined, "The request expected object, got array."],
  ])("%j", (value, param, message) => {
    expect(failure(value)).toEqual({ param, message });
  });
});
