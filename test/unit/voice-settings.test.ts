// The voice settings as config reads them: defaults, the forms a prompt may be written in, and
// every value refused with a message that names the setting (and, for UPSTREAM_EXTRA_BODY, the key).
import { describe, expect, it } from "vitest";
import { parseCallSettings } from "../../worker/config.ts";

const voice = (vars: Record<string, string>) => parseCallSettings(vars).voice;

describe("voice settings", () => {
  it("are all off by default", () => {
    expect(voice({})).toEqual({
      systemPrompt: undefined,
      systemPromptMode: "prepend",
      speechCleanup: "off",
      hangupTool: undefined,
      interruptedMarker: "keep",
      defaultMaxTokens: undefined,
      defaultTemperature: undefined,
      extraBody: undefined,
    });
  });

  it("read a multi-line prompt from a TOML multi-line string, a quoted env value, or \\n in a single-line field", () => {
    const prompt = "You are Ava.\nBe brief.";
    expect(voice({ SYSTEM_PROMPT: `\n${prompt}\n` }).systemPrompt).toBe(prompt);
    expect(voice({ SYSTEM_PROMPT: "You are Ava.\\nBe brief." }).systemPrompt).toBe(prompt);
  });

  it("build the hang-up tool with its description", () => {
    expect(voice({ HANGUP_TOOL: "end_call", HANGUP_TOOL_DESCRIPTION: "Hang up." }).hangupTool).toEqual({
      type: "function",
      function: { name: "end_call", description: "Hang up.", parameters: { type: "object", properties: {} } },
    });
  });

  it.each([
    [{ UPSTREAM_EXTRA_BODY: '{"model": "x"}' }, 'Setting UPSTREAM_EXTRA_BODY may not set "model": the worker sets it.'],
    [{ UPSTREAM_EXTRA_BODY: '{"top_k": 20, "messages": []}' }, 'Setting UPSTREAM_EXTRA_BODY may not set "messages": the worker sets it.'],
    [{ UPSTREAM_EXTRA_BODY: '{"stream": false}' }, 'Setting UPSTREAM_EXTRA_BODY may not set "stream": the worker sets it.'],
    [{ UPSTREAM_EXTRA_BODY: "[1]" }, "Setting UPSTREAM_EXTRA_BODY must be a JSON object."],
    [{ UPSTREAM_EXTRA_BODY: "{enable_thinking: false}" }, "Setting UPSTREAM_EXTRA_BODY must be a JSON object."],
    [{ SYSTEM_PROMPT_MODE: "append" }, "Setting SYSTEM_PROMPT_MODE must be one of prepend, replace, if-absent."],
    [{ SPEECH_CLEANUP: "on" }, "Setting SPEECH_CLEANUP must be one of off, markdown."],
    [{ INTERRUPTED_MARKER: "drop" }, "Setting INTERRUPTED_MARKER must be one of keep, note, strip."],
    [{ HANGUP_TOOL: "hang up" }, "Setting HANGUP_TOOL must be a function name: letters, digits, _ and -, at most 64."],
    [{ HANGUP_TOOL_DESCRIPTION: "Ends the call." }, "Setting HANGUP_TOOL_DESCRIPTION needs HANGUP_TOOL (the function's name)."],
    [{ DEFAULT_MAX_TOKENS: "0" }, "Setting DEFAULT_MAX_TOKENS must be a positive integer."],
    [{ DEFAULT_TEMPERATURE: "2.5" }, "Setting DEFAULT_TEMPERATURE must be a number from 0 to 2."],
  ])("refuse %j", (vars, message) => {
    expect(() => parseCallSettings(vars)).toThrow(expect.objectContaining({ code: "misconfigured", message }));
  });

  it("merge any other extra body field as written", () => {
    expect(voice({ UPSTREAM_EXTRA_BODY: '{"enable_thinking": false, "top_k": 20}' }).extraBody).toEqual({ enable_thinking: false, top_k: 20 });
  });
});
