/** How a photo is described in words: alt text, dates, camera. */
import type { Language, Photo } from './bindings';
import { formatLocalDate, formatTakenAt } from './format';
import { translate } from './i18n';

/**
 * The day it was taken (by the camera's clock), or else the day it was imported (on this
 * computer's calendar).
 */
export function photoDate(photo: Photo, lang: Language): string {
  return photo.taken_at
    ? formatTakenAt(photo.taken_at, lang, true)
    : formatLocalDate(photo.imported_at, lang);
}

/** The day shown with a photo, saying which it is: "Taken 3 May 2025", "Imported 4 May 2025". */
export function photoDateLabel(photo: Photo, lang: Language): string {
  const date = photoDate(photo, lang);
  return photo.taken_at
    ? translate(lang, 'photos.takenOn', { date })
    : translate(lang, 'photos.importedOn', { date });
}

/** Alt text: the caption, or when it was taken (or imported). */
export function photoAlt(photo: Photo, lang: Language): string {
  if (photo.caption?.trim()) return photo.caption.trim();
  const date = photoDate(photo, lang);
  return photo.taken_at
    ? translate(lang, 'photos.altTaken', { date })
    : translate(lang, 'photos.altImported', { date });
}

/** "Maker Model", without the maker twice when the model repeats it. */
export function cameraName(photo: Photo): string | null {
  const make = photo.camera_make?.trim() ?? '';
  const model = photo.camera_model?.trim() ?? '';
  if (!make) return model || null;
  if (!model) return make;
  return model.toLowerCase().startsWith(make.toLowerCase()) ? model : `${make} ${model}`;
}
