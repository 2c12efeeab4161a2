import { describe, expect, it } from 'vitest';

import { gridMove } from './gallery';

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
