//! Photos: container-level metadata stripping (this module so far). Import, thumbnails and
//! the encrypted blob store follow (issue #5).

pub mod strip;
