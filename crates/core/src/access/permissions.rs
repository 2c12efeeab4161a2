//! What a grant opens: sections of one patient's record, each chosen on its own.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One section of the record a grant may open.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Medical alerts, blood type, organ donation and emergency contacts.
    Emergency,
    /// Demographics and contact details.
    Profile,
    /// Medications, allergies and chronic conditions.
    Medications,
    /// Visits and vitals.
    Visits,
    /// Photos shared with staff (never private ones).
    Photos,
    /// Narratives.
    Narratives,
}

impl Permission {
    /// Every permission, in the order they are shown and stored (bit `i` is `ALL[i]`).
    pub const ALL: [Permission; 6] = [
        Permission::Emergency,
        Permission::Profile,
        Permission::Medications,
        Permission::Visits,
        Permission::Photos,
        Permission::Narratives,
    ];

    /// The name used on the command line and in tokens' audit entries.
    pub fn name(self) -> &'static str {
        match self {
            Permission::Emergency => "emergency",
            Permission::Profile => "profile",
            Permission::Medications => "medications",
            Permission::Visits => "visits",
            Permission::Photos => "photos",
            Permission::Narratives => "narratives",
        }
    }

    fn bit(self) -> u8 {
        let index = Permission::ALL
            .iter()
            .position(|p| *p == self)
            .unwrap_or_else(|| unreachable!("ALL lists every permission"));
        1 << index
    }

    /// Parses a comma-separated list (`emergency,visits`); `all` is every section.
    pub fn parse_list(text: &str) -> Result<Vec<Permission>> {
        let mut out = Vec::new();
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            if word.eq_ignore_ascii_case("all") {
                out.extend(Permission::ALL);
                continue;
            }
            let found = Permission::ALL
                .into_iter()
                .find(|p| p.name().eq_ignore_ascii_case(word))
                .ok_or_else(|| {
                    Error::invalid(
                        "permissions",
                        format!(
                            "unknown section {word:?}; choose from {}",
                            Permission::ALL.map(Permission::name).join(", ")
                        ),
                    )
                })?;
            out.push(found);
        }
        Ok(out)
    }
}

/// A set of permissions, stored as a bit mask (1 to 63).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permissions(u8);

impl Permissions {
    /// The set of `list`; an empty set is refused: a grant that opens nothing is a mistake.
    pub fn of(list: &[Permission]) -> Result<Permissions> {
        let bits = list.iter().fold(0u8, |bits, p| bits | p.bit());
        if bits == 0 {
            return Err(Error::invalid(
                "permissions",
                "choose at least one section to share",
            ));
        }
        Ok(Permissions(bits))
    }

    /// The set stored as `bits`; bits outside the known sections are refused, so a value
    /// from a newer version or a damaged row cannot widen access.
    pub fn from_bits(bits: u8) -> Option<Permissions> {
        let known = Permission::ALL.iter().fold(0u8, |all, p| all | p.bit());
        (bits != 0 && bits & !known == 0).then_some(Permissions(bits))
    }

    /// The stored form.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether the set holds `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// The permissions in the set, in [`Permission::ALL`]'s order.
    pub fn list(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.allows(*p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_set_round_trips_through_its_bits(mask in 1u8..64) {
            let set = Permissions::from_bits(mask).unwrap();
            prop_assert_eq!(Permissions::of(&set.list()).unwrap(), set);
            prop_assert_eq!(set.bits(), mask);
        }
    }

    #[test]
    fn unknown_bits_and_empty_sets_are_refused() {
        assert_eq!(Permissions::from_bits(0), None);
        assert_eq!(Permissions::from_bits(64), None);
        assert_eq!(Permissions::from_bits(0xff), None);
        assert!(Permissions::of(&[]).is_err());
    }

    #[test]
    fn lists_parse_by_name_and_all_means_every_section() {
        assert_eq!(
            Permission::parse_list("Emergency, visits").unwrap(),
            vec![Permission::Emergency, Permission::Visits]
        );
        assert_eq!(Permission::parse_list("all").unwrap(), Permission::ALL);
        let err = Permission::parse_list("emergency,xrays")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"xrays\"") && err.contains("narratives"),
            "{err}"
        );
    }
}
