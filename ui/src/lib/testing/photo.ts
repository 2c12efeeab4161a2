import type { Photo } from '../bindings';

/** A photo record as the backend lists it, with `fields` over plain defaults. */
export function testPhoto(fields: Partial<Photo> = {}): Photo {
  return {
    id: 'p1',
    patient_id: 'x',
    format: 'jpeg',
    byte_size: 10,
    width: 1200,
    height: 900,
    thumb_width: 320,
    thumb_height: 240,
    taken_at: null,
    camera_make: null,
    camera_model: null,
    location: null,
    caption: null,
    source_name: null,
    privacy: 'staff',
    imported_by: 'ana',
    imported_at: '2026-02-03T10:00:00Z',
    deleted_at: null,
    ...fields,
  };
}
