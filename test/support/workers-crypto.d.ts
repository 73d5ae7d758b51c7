// The worker's sources are also type-checked with Node's types when tests import them; this
// is the Workers runtime's extension of SubtleCrypto they use (Node tests install a stand-in).
interface SubtleCrypto {
  timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean;
}
