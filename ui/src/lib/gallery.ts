/** Moving through a grid of photos with the keyboard. */

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
