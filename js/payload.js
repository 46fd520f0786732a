// @ts-check
/**
 * What `send()` makes of a payload, for the class (js/class.js) and the share group's virtual
 * sockets (js/share-link.js): its size as `bufferedAmount` counts it, and the copy kept of binary
 * data that goes out later.
 */

/**
 * The UTF-8 size of a string, counted without encoding it (what `bufferedAmount` reports).
 * @param {string} text
 */
export function utf8Length(text) {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    const next = text.charCodeAt(i + 1);
    if (unit < 0x800) {
      bytes += 1;
    } else if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      // A surrogate pair: 2 UTF-16 units become 4 UTF-8 bytes.
      bytes += 2;
      i++;
    } else {
      // 3 bytes: the rest of the BMP, and lone surrogates, which are sent as U+FFFD.
      bytes += 2;
    }
  }
  return bytes;
}

/**
 * The byte size of a payload, or `undefined` for a type the native `send()` would stringify.
 * @param {unknown} data
 */
export function payloadSize(data) {
  if (typeof data === 'string') return utf8Length(data);
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.size;
  return undefined;
}

/**
 * A copy of binary data that `send()` queues: the native `send()` takes its snapshot of the bytes
 * at the call, so changing (or transferring) the buffer afterwards must not change what is sent.
 * Strings and Blobs are immutable and kept as they are; a view keeps its type.
 * @param {unknown} data
 */
export function snapshot(data) {
  if (data instanceof ArrayBuffer) return data.slice(0);
  if (ArrayBuffer.isView(data)) {
    const bytes = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    if (data instanceof DataView) return new DataView(bytes);
    try {
      return new /** @type {any} */ (data.constructor)(bytes);
    } catch {
      return new Uint8Array(bytes);
    }
  }
  return data;
}
