// Photos, both ways. Picked or taken on the phone (a report's, or the after-photos of a
// department's resolution): checked as the server checks them, with the limits the server
// serves (GET /api/photos/limits: how many, how large, which types by content), shrunk when
// too large and kept as base64 so that they can wait in the outbox. And a case's photos shown
// as thumbnails, before beside after, each opening the original (the login cookie lets the
// browser fetch them itself).

import { cachedGet } from "./api.js";
import { h } from "./ui.js";

const MAX_SIDE = 2048; // a re-encoded photo's longer side, in pixels
const TYPE_NAMES = { "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP" };

let loading = null;

/**
 * The server's photo limits: {max_photos, max_bytes, content_types, thumb_side}. Asked once
 * per page and kept for offline use (the outbox works without a network).
 */
export function photoLimits() {
  if (!loading)
    loading = cachedGet("/api/photos/limits").catch((err) => {
      loading = null;
      throw err;
    });
  return loading;
}

/** "最多 4 张，每张不超过 2 MB" for a form's legend. */
export function describeLimits(limits) {
  return `最多 ${limits.max_photos} 张，每张不超过 ${fmtSize(limits.max_bytes)}`;
}

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

/** Re-encode an image as JPEG, at most MAX_SIDE pixels, within maxBytes; null if unreadable. */
async function shrink(file, maxBytes) {
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
    if (blob && blob.size <= maxBytes) return new Uint8Array(await blob.arrayBuffer());
  }
  return null;
}

/**
 * Check and prepare one picked file under ``limits`` (photoLimits()): {content_type, data
 * (base64), size, name} or {error}. A photo of an accepted type within the size goes as it
 * is; anything else the browser can read is re-encoded as JPEG (e.g. a large camera photo);
 * the rest is refused with a reason.
 */
export async function prepare(file, limits) {
  const name = file.name || "照片";
  let bytes = new Uint8Array(await file.arrayBuffer());
  let type = sniff(bytes);
  const accepted = type !== null && limits.content_types.includes(type);
  if (!accepted || bytes.length > limits.max_bytes) {
    const canShrink = limits.content_types.includes("image/jpeg");
    const smaller = canShrink ? await shrink(file, limits.max_bytes) : null;
    if (!smaller) {
      const kinds = limits.content_types.map((t) => TYPE_NAMES[t] || t).join("、");
      return {
        error: accepted
          ? `照片“${name}”超过 ${fmtSize(limits.max_bytes)}，且无法压缩。`
          : `“${name}”不是可识别的图片（仅支持 ${kinds}）。`,
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

/** "1.2 MB" / "2 MB" / "350 KB". */
export function fmtSize(bytes) {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

// ---- a case's photos -----------------------------------------------------------------

function thumbLink(p, label) {
  const link = h(
    "a",
    { href: p.url, target: "_blank", rel: "noopener", title: `${label}（点击查看原图）` },
    h("img", {
      src: p.thumb_url,
      alt: label,
      loading: "lazy",
      // a photo the server cannot shrink is still there as it came
      onerror: () => link.replaceChildren("无法预览，查看原图"),
    }),
  );
  return h("li", { class: "thumb", dataset: { photoId: p.id, kind: p.kind } }, link);
}

function column(kind, title, photos, label, empty) {
  return h(
    "div",
    { class: `photo-column ${kind}` },
    h("h4", {}, `${title}（${photos.length}）`),
    photos.length
      ? h(
          "ul",
          { class: "thumbs" },
          photos.map((p, i) => thumbLink(p, label(p, i))),
        )
      : h("p", { class: "muted" }, empty),
  );
}

/**
 * A case's photos, before (the reports') beside after (the departments' resolutions), as
 * thumbnails that open the original; null when there is nothing to show. ``depts`` names the
 * departments by code.
 */
export function casePhotos(photos = [], { depts = new Map(), whistled = false } = {}) {
  const before = photos.filter((p) => p.kind === "before");
  const after = photos.filter((p) => p.kind === "after");
  if (!before.length && !after.length && !whistled) return null;
  const deptName = (p) => depts.get(p.department_code) || p.department_code || "部门";
  return h(
    "section",
    { class: "case-photos" },
    column("before", "处置前", before, (_, i) => `上报照片 ${i + 1}`, "上报时未附照片"),
    column("after", "处置后", after, (p, i) => `${deptName(p)} 处置后照片 ${i + 1}`, "暂无"),
  );
}
