//! Which records a listing returns, shared by every kind of record that has a bin.

/// Which records a listing returns: those in the bin, or the others (patients, photos).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Listing {
    /// Records not in the bin.
    #[default]
    Current,
    /// Records in the bin.
    Deleted,
}

impl Listing {
    /// The name recorded in the audit entry of a listing.
    pub fn as_str(self) -> &'static str {
        match self {
            Listing::Current => "current",
            Listing::Deleted => "deleted",
        }
    }
}
