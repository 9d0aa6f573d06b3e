// Photos for a report: picked or taken on the phone, checked like the server checks them
// (JPEG, PNG or WebP by content, at most 4, at most 2 MB each), shrunk when too large, and
// kept as base64 so that they can wait in the outbox and be sent as POST /api/reports wants.

export const MAX_PHOTOS = 4;
export const MAX_BYTES = 2 * 1024 * 1024;
const MAX_SIDE = 2048; // a re-encoded photo's longer side, in pixels

/** The type a file really is, from its first bytes (as the server decides), or null. */
export function sniff(bytes) {
  const starts = (sig) => sig.every((b, i) => bytes[i] === b);
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  const ascii = (from, to) => String.fromCharCode(...bytes.slice(from, to));
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  return null;
}

function base64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Re-encode an image as JPEG, at most MAX_SIDE pixels, small enough; null if unreadable. */
async function shrink(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  for (const quality of [0.85, 0.7, 0.5]) {
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
    if (blob && blob.size <= MAX_BYTES) return new Uint8Array(await blob.arrayBuffer());
  }
  return null;
}

/**
 * Check and prepare one picked file: {content_type, data (base64), size, name} or {error}.
 * A JPEG/PNG/WebP within 2 MB goes as it is; anything else the browser can read is
 * re-encoded as JPEG (e.g. a large camera photo); the rest is refused with a reason.
 */
export async function prepare(file) {
  const name = file.name || "照片";
  let bytes = new Uint8Array(await file.arrayBuffer());
  let type = sniff(bytes);
  if (!type || bytes.length > MAX_BYTES) {
    const smaller = await shrink(file);
    if (!smaller) {
      return {
        error: type
          ? `照片“${name}”超过 2 MB，且无法压缩。`
          : `“${name}”不是可识别的图片（仅支持 JPEG、PNG、WebP）。`,
      };
    }
    bytes = smaller;
    type = "image/jpeg";
  }
  return { name, content_type: type, data: base64(bytes), size: bytes.length };
}

/** A data: URL to show a prepared photo (no request leaves the page). */
export function dataUrl(photo) {
  return `data:${photo.content_type};base64,${photo.data}`;
}

/** "1.2 MB" / "350 KB". */
export function fmtSize(bytes) {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
