/** The photo grid: its order, and moving through it with the keyboard. */
import type { Photo } from './bindings';

const CAMERA_CLOCK =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * When the date a photo shows was, in milliseconds, for sorting: when it was taken (the
 * camera's clock, read as this computer's local time when it recorded no offset), else
 * when it was imported.
 */
export function shownTime(photo: Photo): number {
  const m = photo.taken_at ? CAMERA_CLOCK.exec(photo.taken_at) : null;
  if (m) {
    const taken = m[7]
      ? Date.parse(photo.taken_at ?? '')
      : new Date(
          Number(m[1]),
          Number(m[2]) - 1,
          Number(m[3]),
          Number(m[4]),
          Number(m[5]),
          Number(m[6] ?? 0),
        ).getTime();
    if (!Number.isNaN(taken)) return taken;
  }
  return Date.parse(photo.imported_at);
}

/**
 * The photos in the order the grid shows them: by the date each shows (taken, else
 * imported), newest first; then the latest import first.
 */
export function newestFirst(photos: readonly Photo[]): Photo[] {
  const key = (p: Photo) => {
    const shown = shownTime(p);
    return Number.isNaN(shown) ? Number.NEGATIVE_INFINITY : shown;
  };
  const imported = (p: Photo) => Date.parse(p.imported_at) || 0;
  return [...photos].sort(
    (a, b) =>
      key(b) - key(a) || imported(b) - imported(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

/**
 * The index to move to from `index` on `key`, in a grid of `count` items laid out in rows of
 * `columns`; null when the key does not move. Moves stop at the edges.
 */
export function gridMove(
  key: string,
  index: number,
  count: number,
  columns: number,
): number | null {
  if (count === 0) return null;
  const cols = Math.max(1, columns);
  switch (key) {
    case 'ArrowRight':
      return Math.min(index + 1, count - 1);
    case 'ArrowLeft':
      return Math.max(index - 1, 0);
    case 'ArrowDown':
      return index + cols < count ? index + cols : index;
    case 'ArrowUp':
      return index - cols >= 0 ? index - cols : index;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** How many items sit in the first row, judged by where they are laid out. */
export function columnsOf(items: readonly HTMLElement[]): number {
  const first = items[0];
  if (!first) return 1;
  const top = first.getBoundingClientRect().top;
  let columns = 0;
  for (const item of items) {
    if (Math.abs(item.getBoundingClientRect().top - top) > 1) break;
    columns += 1;
  }
  // Without a layout (every top equal), treat the grid as one row.
  return Math.max(1, columns);
}
