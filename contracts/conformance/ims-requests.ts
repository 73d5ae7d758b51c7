// Requests shaped exactly like the ones IMS sends, taken from its documentation
// (seed-access-llms.txt and the later pages summarised in PROTOCOL.md).

/** The conversation of the documentation's example, as IMS sends it in both specs. */
export const docConversation = [
  { role: "user", content: "What is the weather like today? " },
  { role: "assistant", content: "It is sunny today. " },
  { role: "user", content: "What will the weather be like tomorrow? " },
];

/** The doc's Message example, verbatim, with its Python-style single quotes. */
export const docMessageSingleQuoted =
  "[{'role': 'user', 'content': 'What is the weather like today? '},{'role': 'assistant', 'content': 'It is sunny today. '},{'role': 'user', 'content': 'What will the weather be like tomorrow? '}]";

/** The doc's Spec 2 ExtendData example. */
export const docExtendData = '{\n"InstanceId": "68e00b6640e*****3e943332fee7",\n"UserData": "{\\"aaaa\\":\\"bbbb\\"}"\n}';

/** Every extendData field documented so far, as on a phone call. */
export const fullExtendData = {
  instanceId: "68e00b6640e*****3e943332fee7",
  channelId: "123",
  sentenceId: "7",
  callerNumber: "+8613800000000",
  calleeNumber: "+8613900000000",
  userData: '{"aaaa":"bbbb"}',
};

/** The doc's Spec 1 example body. */
export const docChatRequest = (model: string) => ({
  messages: docConversation,
  model,
  stream: true,
  extendData: { instanceId: "68e00b6640e*****3e943332fee7", channelId: "123", userData: '{"aaaa":"bbbb"}' },
});

/** IMS's longest history: 20 records, a system prompt first and an interrupted assistant turn. */
export const twentyMessageChatRequest = (model: string) => {
  const messages: { role: string; content: string }[] = [{ role: "system", content: "You are a concise voice assistant." }];
  for (let turn = 1; messages.length < 19; turn++) {
    messages.push({ role: "user", content: `Question ${turn}?` });
    if (messages.length < 19) {
      messages.push({ role: "assistant", content: turn === 3 ? "The answer is<ims_agent_interrupted>" : `Answer ${turn}.` });
    }
  }
  messages.push({ role: "user", content: "And the last question?" });
  return { messages, model, stream: true, extendData: fullExtendData };
};

/** A turn from IMS's multimodal (MLLM) node: a camera frame as a data URL beside the text. */
export const multimodalChatRequest = (model: string) => ({
  messages: [
    {
      role: "user",
      content: [
        { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==" } },
        { type: "text", text: "What do you see?" },
      ],
    },
  ],
  model,
  stream: true,
  extendData: fullExtendData,
});

/** The Spec 2 fields of the doc's example, with JSON or the doc's single-quoted Message. */
export const docForm = (token: string | undefined, quoting: "json" | "single") => ({
  Message: quoting === "json" ? JSON.stringify(docConversation) : docMessageSingleQuoted,
  ...(token !== undefined && { Token: token }),
  ExtendData: docExtendData,
});
