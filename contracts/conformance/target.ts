/** Where the checks send their requests: the worker in Miniflare, or any partner's endpoint. */
export interface Target {
  spec: "openai" | "alibaba";
  /**
   * What a user types into the IMS console: for Spec 1 the base URL (checks append
   * /chat/completions, as IMS does); for Spec 2 the full URL.
   */
  url: string;
  /** Spec 1 API key. */
  apiKey?: string;
  /** Spec 1 model id (default "ims-llm-verify"). */
  model?: string;
  /** Spec 2 token. */
  token?: string;
  /** Longest wait for a response, and for each piece of a stream. */
  timeoutMs: number;
  fetch: typeof fetch;
}

/** The URL IMS calls for Spec 1: the base URL with /chat/completions appended. */
export const chatCompletionsUrl = (baseUrl: string) => `${baseUrl.replace(/\/+$/, "")}/chat/completions`;
