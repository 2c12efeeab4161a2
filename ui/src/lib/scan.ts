/**
 * Scanning at the desk: the camera's grey preview as pixels for a canvas, and which of the
 * QR codes found in an image to open.
 */
import { TOKEN_PREFIX } from './access';

/**
 * A preview's grey levels (`luma`: base64 of `width * height` bytes) as RGBA pixels for
 * `ImageData`; null when the data does not match the size (a damaged event is not drawn).
 */
export function lumaToRgba(luma: string, width: number, height: number): Uint8ClampedArray | null {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    return null;
  }
  let grey: string;
  try {
    grey = atob(luma);
  } catch {
    return null;
  }
  if (grey.length !== width * height) return null;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < grey.length; i++) {
    const level = grey.charCodeAt(i);
    rgba[i * 4] = level;
    rgba[i * 4 + 1] = level;
    rgba[i * 4 + 2] = level;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/** Of the QR texts found in an image, the one to open: the first Tessera one, else the first. */
export function pickScanned(texts: readonly string[]): string | null {
  const ours = texts.find((text) => text.trim().toUpperCase().startsWith(TOKEN_PREFIX));
  return ours ?? texts[0] ?? null;
}

/** The image types the desk opens. */
export const SCAN_IMAGE_TYPES = 'image/png,image/jpeg';
