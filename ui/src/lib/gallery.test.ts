import { describe, expect, it } from 'vitest';

import type { Photo } from './bindings';
import { testPhoto } from './testing/photo';
import { gridMove, newestFirst, shownTime } from './gallery';

const photo = (id: string, fields: Partial<Photo> = {}): Photo => testPhoto({ id, ...fields });

describe('the order of the photo grid', () => {
  it('goes by the date each photo shows, taken or else imported, newest first', () => {
    const photos = [
      // As the backend lists them: in the order they were imported.
      photo('taken-2024', { taken_at: '2024-06-01T09:00:00', imported_at: '2025-05-04T08:00:00Z' }),
      photo('imported-2025-05-04', { imported_at: '2025-05-04T09:00:00Z' }),
      photo('taken-2025-05-03', {
        taken_at: '2025-05-03T12:00:00',
        imported_at: '2025-05-05T08:00:00Z',
      }),
      photo('imported-2025-01', { imported_at: '2025-01-10T09:00:00Z' }),
      photo('taken-2026', {
        taken_at: '2026-01-02T10:00:00+01:00',
        imported_at: '2026-01-05T08:00:00Z',
      }),
    ];
    expect(newestFirst(photos).map((p) => p.id)).toEqual([
      'taken-2026',
      'imported-2025-05-04',
      'taken-2025-05-03',
      'imported-2025-01',
      'taken-2024',
    ]);
    // The list given is left as it was.
    expect(photos[0]?.id).toBe('taken-2024');
  });

  it('reads the camera clock as local time, an offset as given, and falls back to the import', () => {
    expect(shownTime(photo('a', { taken_at: '2025-05-03T12:00:00' }))).toBe(
      new Date(2025, 4, 3, 12, 0, 0).getTime(),
    );
    expect(shownTime(photo('b', { taken_at: '2025-05-03T12:00:00+02:00' }))).toBe(
      Date.UTC(2025, 4, 3, 10, 0, 0),
    );
    expect(shownTime(photo('c', { taken_at: 'garbled' }))).toBe(Date.UTC(2026, 1, 3, 10));
  });

  it('puts the later import first when two photos show the same moment', () => {
    const same = '2025-05-03T12:00:00';
    const photos = [
      photo('first', { taken_at: same, imported_at: '2025-05-04T08:00:00Z' }),
      photo('second', { taken_at: same, imported_at: '2025-05-06T08:00:00Z' }),
    ];
    expect(newestFirst(photos).map((p) => p.id)).toEqual(['second', 'first']);
  });
});

describe('gallery keyboard moves', () => {
  it('moves along rows and stops at the ends', () => {
    expect(gridMove('ArrowRight', 0, 5, 3)).toBe(1);
    expect(gridMove('ArrowRight', 4, 5, 3)).toBe(4);
    expect(gridMove('ArrowLeft', 0, 5, 3)).toBe(0);
    expect(gridMove('Home', 3, 5, 3)).toBe(0);
    expect(gridMove('End', 0, 5, 3)).toBe(4);
  });

  it('moves between rows by the number of columns, staying put past the last row', () => {
    expect(gridMove('ArrowDown', 1, 5, 3)).toBe(4);
    expect(gridMove('ArrowDown', 2, 5, 3)).toBe(2);
    expect(gridMove('ArrowUp', 4, 5, 3)).toBe(1);
    expect(gridMove('ArrowUp', 1, 5, 3)).toBe(1);
  });

  it('ignores other keys and empty grids', () => {
    expect(gridMove('a', 0, 5, 3)).toBeNull();
    expect(gridMove('ArrowRight', 0, 0, 3)).toBeNull();
  });
});
