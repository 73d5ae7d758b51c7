/** One empty named part, as the fuzzer that found the multipart flood sent them. */
export const EMPTY_PART = '--b\r\ncontent-disposition: form-data; name="f"\r\n\r\n\r\n';

/** A multipart body of `bytes` or just under, all empty named parts. */
export const floodBody = (bytes: number) => EMPTY_PART.repeat(Math.floor((bytes - 5) / EMPTY_PART.length)) + "--b--";

/**
 * One refused request: the flood body without a token on Spec 2 (counted, then refused); or
 * (drained) the same bytes to Spec 1 without a key, refused before it is read and only drained.
 */
export async function refused(url: string, body: string, drained = false): Promise<number> {
  const path = drained ? "/v1/chat/completions" : "/";
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": drained ? "application/json" : "multipart/form-data; boundary=b" }, body });
  await response.arrayBuffer();
  return response.status;
}
