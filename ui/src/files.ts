// Bytes in and out of the webview: base64 for IPC, blob: URLs for showing and saving files.
// Customer file names are customer data: they only ever become text or a download suggestion.

/** Largest file Telegram takes from a bot (documents). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;
/** Largest photo Telegram shows inline; bigger images go as documents. */
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
/** Longest caption of a photo or document. */
export const MAX_CAPTION_CHARS = 1024;

const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

/** A JPEG, PNG or WebP small enough to be sent as a photo (shown inline by Telegram). */
export function canSendAsPhoto(file: { type: string; size: number }): boolean {
  return PHOTO_TYPES.has(file.type.toLowerCase()) && file.size <= MAX_PHOTO_BYTES;
}

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  // String.fromCharCode takes arguments: go in chunks to stay under the engine's argument limit.
  const CHUNK = 0x8000;
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

function readWithFileReader(blob: Blob): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as ArrayBuffer);
    reader.onerror = () => reject(reader.error ?? new Error('FileReader failed'));
    reader.readAsArrayBuffer(blob);
  });
}

/** The file's bytes as base64. */
export async function readAsBase64(blob: Blob): Promise<string> {
  const buffer = typeof blob.arrayBuffer === 'function' ? await blob.arrayBuffer() : await readWithFileReader(blob);
  return bytesToBase64(new Uint8Array(buffer));
}

/** Only image types are ever given to an <img>; everything else is bytes to save. */
export function isImageType(mimeType: string | null | undefined): boolean {
  return typeof mimeType === 'string' && mimeType.toLowerCase().startsWith('image/');
}

export function blobFromBase64(base64: string, mimeType: string): Blob {
  return new Blob([base64ToBytes(base64)], { type: mimeType });
}

/**
 * A file name fit to suggest for saving: no folders, no control characters, not too long.
 * The browser cleans it again; this keeps a customer's "../../x" or "a\u202Egpj.exe" from
 * looking like something else in the save dialog.
 */
export function downloadName(name: string | null | undefined, fallback: string): string {
  const cleaned = (name ?? '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 150);
  return cleaned === '' ? fallback : cleaned;
}

/** Saves bytes through the webview's download: a blob: URL and an <a download>. */
export function saveBytes(base64: string, name: string): void {
  // Always octet-stream: the webview must save the file, never open it.
  const url = URL.createObjectURL(blobFromBase64(base64, 'application/octet-stream'));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    // The download has started by the time this runs; the URL is no longer needed.
    window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
  }
}
