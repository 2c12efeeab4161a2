import { describe, expect, it } from 'vitest';

import type { Photo } from './bindings';
import { testPhoto } from './testing/photo';
import { cameraName, photoAlt, photoDateLabel } from './photos';

const photo = (fields: Partial<Photo> = {}): Photo =>
  testPhoto({ source_name: 'a.jpg', ...fields });

describe('photo descriptions', () => {
  it('uses the caption as alt text, or else when the photo was taken or imported', () => {
    expect(photoAlt(photo({ caption: ' Left heel ' }), 'en')).toBe('Left heel');
    expect(photoAlt(photo({ taken_at: '2025-12-24T18:00:00' }), 'en')).toBe(
      'Photo taken 24 Dec 2025',
    );
    expect(photoAlt(photo({ taken_at: '2025-12-24T18:00:00' }), 'fr')).toBe(
      'Photo prise le 24 déc. 2025',
    );
    expect(photoAlt(photo(), 'en')).toBe('Photo imported 3 Feb 2026');
  });

  it('says which date it shows: when it was taken, or when it was imported', () => {
    expect(photoDateLabel(photo({ taken_at: '2025-05-03T18:00:00' }), 'en')).toBe(
      'Taken 3 May 2025',
    );
    expect(photoDateLabel(photo({ imported_at: '2025-05-04T12:00:00Z' }), 'en')).toBe(
      'Imported 4 May 2025',
    );
    expect(photoDateLabel(photo({ taken_at: '2025-05-03T18:00:00' }), 'fr')).toBe(
      'Prise le 3 mai 2025',
    );
    expect(photoDateLabel(photo({ imported_at: '2025-05-04T12:00:00Z' }), 'fr')).toBe(
      'Importée le 4 mai 2025',
    );
  });

  it('names the camera once', () => {
    expect(cameraName(photo({ camera_make: 'Canon', camera_model: 'Canon EOS R6' }))).toBe(
      'Canon EOS R6',
    );
    expect(cameraName(photo({ camera_make: 'Apple', camera_model: 'iPhone 15' }))).toBe(
      'Apple iPhone 15',
    );
    expect(cameraName(photo())).toBeNull();
  });
});
