//! Photos: container-level metadata stripping and the encrypted blob store (so far). Import,
//! thumbnails and the media table follow (issue #5).

pub mod blobs;
pub mod strip;
