/** Room for a batch of a few events; a larger batch grows the buffer once. */
const INITIAL_BYTES = 4096;

/**
 * Encodes each batch's events as UTF-8 into one buffer kept for the whole reply. The
 * runtime's TextEncoder is a native call and a fresh buffer per batch; this is neither. The
 * buffer is reused only after the write of what it last held has completed, and the runtime
 * has taken the bytes by then, so no batch overwrites another.
 */
export class Utf8Buffer {
  private bytes = new Uint8Array(INITIAL_BYTES);

  encode(text: string): Uint8Array {
    // A UTF-16 unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
    if (this.bytes.length < text.length * 3) this.bytes = new Uint8Array(text.length * 3);
    const out = this.bytes;
    let at = 0;
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code < 0x80) {
        out[at++] = code;
        continue;
      }
      if (code < 0x800) {
        out[at++] = 0xc0 | (code >> 6);
      } else {
        const low = code >= 0xd800 && code < 0xdc00 ? text.charCodeAt(i + 1) : 0;
        if (low >= 0xdc00 && low < 0xe000) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          i++;
          out[at++] = 0xf0 | (code >> 18);
          out[at++] = 0x80 | ((code >> 12) & 0x3f);
        } else {
          // A lone surrogate has no UTF-8 form: U+FFFD, as TextEncoder writes it.
          if (code >= 0xd800 && code < 0xe000) code = 0xfffd;
          out[at++] = 0xe0 | (code >> 12);
        }
        out[at++] = 0x80 | ((code >> 6) & 0x3f);
      }
      out[at++] = 0x80 | (code & 0x3f);
    }
    return out.subarray(0, at);
  }
}
