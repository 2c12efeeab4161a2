import { describe, expect, it } from 'vitest';

import { lumaToRgba, pickScanned } from './scan';

describe('scanning helpers', () => {
  it('expands grey levels to opaque RGBA pixels', () => {
    const luma = btoa(String.fromCharCode(0, 128, 255, 7));
    expect([...(lumaToRgba(luma, 2, 2) ?? [])]).toEqual([
      0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 7, 7, 7, 255,
    ]);
  });

  it('refuses a preview whose data does not match its size', () => {
    const luma = btoa('abc');
    expect(lumaToRgba(luma, 2, 2)).toBeNull();
    expect(lumaToRgba('not base64!', 1, 1)).toBeNull();
    expect(lumaToRgba('', 0, 0)).toBeNull();
  });

  it('opens the first Tessera QR of an image, else the first one', () => {
    expect(pickScanned(['https://example.org', 'TS1:A', 'TS1:B'])).toBe('TS1:A');
    expect(pickScanned(['https://example.org', 'WIFI:x'])).toBe('https://example.org');
    expect(pickScanned([])).toBeNull();
  });
});
