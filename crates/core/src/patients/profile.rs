//! A patient's profile: every field a clinic records, and the checks that keep it sound.
//!
//! The profile is stored whole as JSON; [`Profile::validate`] runs before every write and
//! names the field at fault in words a user can act on.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::clock;
use crate::error::{Error, Result};

/// Longest free-text field, in characters.
const MAX_TEXT: usize = 500;
/// Most entries in any list (allergies, medications, ...).
const MAX_ITEMS: usize = 100;

/// Everything recorded about a patient except identifiers and bookkeeping.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Given (first) name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// The name the patient likes to be called by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_name: Option<String>,
    /// Date of birth, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    /// Sex as recorded for clinical purposes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Phone number, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Where the patient lives or can be found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Preferred language, as a BCP 47 tag (`pt`, `fr-CA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// ABO/Rh blood type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blood_type: Option<BloodType>,
    /// Registered organ donor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organ_donor: Option<bool>,
    /// Known allergies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allergies: Vec<Allergy>,
    /// Long-term conditions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chronic_conditions: Vec<String>,
    /// Current medications.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medications: Vec<Medication>,
    /// People to call; at most one is primary.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emergency_contacts: Vec<EmergencyContact>,
    /// Health insurance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance: Option<Insurance>,
    /// Alerts every reader must see first (e.g. "DNR", "latex allergy", "violent when startled").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub medical_alerts: Vec<String>,
    /// How the patient wants to be contacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication: Option<CommunicationPreferences>,
    /// Where the patient is in their care.
    #[serde(default)]
    pub status: PatientStatus,
}

/// Sex recorded for clinical purposes.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Intersex.
    Intersex,
    /// Not known or not disclosed.
    Unknown,
}

/// ABO/Rh blood types.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BloodType {
    /// A positive.
    #[serde(rename = "A+")]
    APos,
    /// A negative.
    #[serde(rename = "A-")]
    ANeg,
    /// B positive.
    #[serde(rename = "B+")]
    BPos,
    /// B negative.
    #[serde(rename = "B-")]
    BNeg,
    /// AB positive.
    #[serde(rename = "AB+")]
    AbPos,
    /// AB negative.
    #[serde(rename = "AB-")]
    AbNeg,
    /// O positive.
    #[serde(rename = "O+")]
    OPos,
    /// O negative.
    #[serde(rename = "O-")]
    ONeg,
}

/// How far along their care a patient is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientStatus {
    /// In care.
    #[default]
    Active,
    /// Not currently seen.
    Inactive,
    /// Care ended.
    Discharged,
    /// Deceased.
    Deceased,
}

impl PatientStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PatientStatus::Active => "active",
            PatientStatus::Inactive => "inactive",
            PatientStatus::Discharged => "discharged",
            PatientStatus::Deceased => "deceased",
        }
    }
}

/// An allergy. Written as a plain string, it is the substance alone.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "AllergyInput")]
pub struct Allergy {
    /// What the patient reacts to.
    pub substance: String,
    /// The reaction (`hives`, `anaphylaxis`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    /// How bad it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AllergyInput {
    Substance(String),
    #[serde(rename_all = "snake_case")]
    Full {
        substance: String,
        #[serde(default)]
        reaction: Option<String>,
        #[serde(default)]
        severity: Option<Severity>,
    },
}

impl From<AllergyInput> for Allergy {
    fn from(input: AllergyInput) -> Self {
        match input {
            AllergyInput::Substance(substance) => Allergy {
                substance,
                reaction: None,
                severity: None,
            },
            AllergyInput::Full {
                substance,
                reaction,
                severity,
            } => Allergy {
                substance,
                reaction,
                severity,
            },
        }
    }
}

/// Severity of an allergic reaction.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Mild.
    Mild,
    /// Moderate.
    Moderate,
    /// Severe or life-threatening.
    Severe,
}

/// A current medication.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Medication {
    /// Drug name.
    pub name: String,
    /// Dose (`500 mg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dose: Option<String>,
    /// How often (`twice daily`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<String>,
    /// Who prescribed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescriber: Option<String>,
}

/// Someone to call in an emergency.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyContact {
    /// Full name.
    pub name: String,
    /// Phone number (required: a contact who cannot be called is no use).
    pub phone: String,
    /// Relationship to the patient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    /// The first to call.
    #[serde(default)]
    pub primary: bool,
}

/// Health insurance.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    /// Insurer.
    pub provider: String,
    /// Policy number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_number: Option<String>,
    /// Group number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_number: Option<String>,
}

/// How a patient wants to be contacted.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunicationPreferences {
    /// The preferred channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// An interpreter is needed.
    #[serde(default)]
    pub interpreter_needed: bool,
    /// Messages may be left (voicemail, with family).
    #[serde(default)]
    pub may_leave_messages: bool,
    /// Anything else (`call after 5pm`, `large print`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Contact channels.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Phone call.
    Phone,
    /// Text message.
    Sms,
    /// Email.
    Email,
    /// Letter.
    Post,
    /// Only in person.
    InPerson,
}

impl Profile {
    /// A profile with just a name, for builders and tests.
    pub fn named(given_name: &str, family_name: &str) -> Profile {
        Profile {
            given_name: given_name.to_owned(),
            family_name: family_name.to_owned(),
            preferred_name: None,
            date_of_birth: None,
            sex: None,
            phone: None,
            location: None,
            preferred_language: None,
            blood_type: None,
            organ_donor: None,
            allergies: Vec::new(),
            chronic_conditions: Vec::new(),
            medications: Vec::new(),
            emergency_contacts: Vec::new(),
            insurance: None,
            medical_alerts: Vec::new(),
            communication: None,
            status: PatientStatus::Active,
        }
    }

    /// Trims every text, turns blank optional texts into `None`, then checks the whole
    /// profile. `today` is the date births may not be after.
    pub fn normalize_and_validate(mut self, today: Date) -> Result<Profile> {
        self.given_name = required("given name", &self.given_name)?;
        self.family_name = required("family name", &self.family_name)?;
        for (field, value) in [
            ("preferred name", &mut self.preferred_name),
            ("location", &mut self.location),
        ] {
            *value = optional(field, value.take())?;
        }
        self.date_of_birth = match optional("date of birth", self.date_of_birth.take())? {
            None => None,
            Some(text) => Some(birth_date(&text, today)?),
        };
        self.phone = match optional("phone", self.phone.take())? {
            None => None,
            Some(p) => Some(phone("phone", &p)?),
        };
        self.preferred_language =
            match optional("preferred language", self.preferred_language.take())? {
                None => None,
                Some(tag) => Some(language_tag(&tag)?),
            };
        list_len("allergies", self.allergies.len())?;
        for allergy in &mut self.allergies {
            allergy.substance = required("allergy", &allergy.substance)?;
            allergy.reaction = optional("allergy reaction", allergy.reaction.take())?;
        }
        self.chronic_conditions = texts("chronic condition", &self.chronic_conditions)?;
        self.medical_alerts = texts("medical alert", &self.medical_alerts)?;
        list_len("medications", self.medications.len())?;
        for m in &mut self.medications {
            m.name = required("medication name", &m.name)?;
            m.dose = optional("medication dose", m.dose.take())?;
            m.frequency = optional("medication frequency", m.frequency.take())?;
            m.prescriber = optional("medication prescriber", m.prescriber.take())?;
        }
        list_len("emergency contacts", self.emergency_contacts.len())?;
        for c in &mut self.emergency_contacts {
            c.name = required("emergency contact name", &c.name)?;
            if c.phone.trim().is_empty() {
                return Err(Error::invalid(
                    "emergency contact phone",
                    format!(
                        "{} has no phone number; a contact must be reachable",
                        c.name
                    ),
                ));
            }
            c.phone = phone("emergency contact phone", &c.phone)?;
            c.relationship = optional("emergency contact relationship", c.relationship.take())?;
        }
        if self.emergency_contacts.iter().filter(|c| c.primary).count() > 1 {
            return Err(Error::invalid(
                "emergency contacts",
                "only one emergency contact can be primary",
            ));
        }
        if let Some(ins) = &mut self.insurance {
            ins.provider = required("insurance provider", &ins.provider)?;
            ins.policy_number = optional("insurance policy number", ins.policy_number.take())?;
            ins.group_number = optional("insurance group number", ins.group_number.take())?;
        }
        if let Some(comm) = &mut self.communication {
            comm.notes = optional("communication notes", comm.notes.take())?;
        }
        Ok(self)
    }
}

/// A required text: trimmed, 1 to 500 characters, no control characters.
pub(crate) fn required(field: &'static str, text: &str) -> Result<String> {
    optional(field, Some(text.to_owned()))?.ok_or_else(|| Error::invalid(field, "is required"))
}

/// An optional text: trimmed, blank as `None`, at most 500 characters, no control characters
/// except line breaks and tabs.
pub(crate) fn optional(field: &'static str, text: Option<String>) -> Result<Option<String>> {
    bounded(field, text, MAX_TEXT)
}

/// Like [`optional`], for notes: up to 20,000 characters.
pub(crate) fn optional_long(field: &'static str, text: Option<String>) -> Result<Option<String>> {
    bounded(field, text, 20_000)
}

fn bounded(field: &'static str, text: Option<String>, max: usize) -> Result<Option<String>> {
    let Some(text) = text else { return Ok(None) };
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("is too long (at most {max} characters)"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(Some(text.to_owned()))
}

/// An optional reference to another record (a photo, a signed form): a UUID.
pub(crate) fn reference(field: &'static str, id: Option<String>) -> Result<Option<String>> {
    optional(field, id)?
        .map(|id| {
            uuid::Uuid::parse_str(&id)
                .map(|u| u.to_string())
                .map_err(|_| Error::invalid(field, format!("{id:?} is not a {field} id")))
        })
        .transpose()
}

/// A list of required texts.
pub(crate) fn texts(field: &'static str, items: &[String]) -> Result<Vec<String>> {
    list_len(field, items.len())?;
    items.iter().map(|t| required(field, t)).collect()
}

fn list_len(field: &'static str, len: usize) -> Result<()> {
    if len > MAX_ITEMS {
        return Err(Error::invalid(
            field,
            format!("has {len} entries; at most {MAX_ITEMS} are kept"),
        ));
    }
    Ok(())
}

/// A calendar date `YYYY-MM-DD`.
pub(crate) fn calendar_date(field: &'static str, text: &str) -> Result<Date> {
    clock::parse_date(text.trim()).ok_or_else(|| {
        Error::invalid(
            field,
            format!("{text:?} is not a date; use YYYY-MM-DD, e.g. 1984-03-09"),
        )
    })
}

fn birth_date(text: &str, today: Date) -> Result<String> {
    let date = calendar_date("date of birth", text)?;
    if date > today {
        return Err(Error::invalid(
            "date of birth",
            format!("{date} is in the future"),
        ));
    }
    if date.year() < today.year() - 130 {
        return Err(Error::invalid(
            "date of birth",
            format!("{date} is more than 130 years ago"),
        ));
    }
    Ok(date.to_string())
}

/// A phone number as people write it: digits with spaces, dashes, dots, brackets and one
/// leading `+`; 3 to 20 digits.
pub(crate) fn phone(field: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed = text.chars().enumerate().all(|(i, c)| {
        c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')') || (c == '+' && i == 0)
    });
    if !allowed || !(3..=20).contains(&digits) {
        return Err(Error::invalid(
            field,
            format!(
                "{text:?} is not a phone number (3 to 20 digits, optionally +, spaces, dashes)"
            ),
        ));
    }
    Ok(text.to_owned())
}

/// The digits of a phone number, for search.
pub(crate) fn phone_digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn language_tag(tag: &str) -> Result<String> {
    let ok = tag.split('-').enumerate().all(|(i, part)| {
        let len_ok = if i == 0 {
            (2..=3).contains(&part.len())
        } else {
            (2..=8).contains(&part.len())
        };
        len_ok && part.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !ok {
        return Err(Error::invalid(
            "preferred language",
            format!("{tag:?} is not a language tag; use e.g. en, fr, pt-BR"),
        ));
    }
    Ok(tag.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    fn field_of(result: Result<Profile>) -> &'static str {
        match result {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_full_profile_parses_from_json_and_validates() {
        let json = r#"{
            "given_name": " José ", "family_name": "Núñez", "date_of_birth": "1984-03-09",
            "sex": "male", "phone": "+351 912 345 678", "blood_type": "AB-", "organ_donor": true,
            "allergies": ["penicillin", {"substance": "latex", "reaction": "hives", "severity": "moderate"}],
            "chronic_conditions": ["type 2 diabetes"],
            "medications": [{"name": "metformin", "dose": "500 mg", "frequency": "twice daily", "prescriber": "Dr Reis"}],
            "emergency_contacts": [{"name": "Ana Núñez", "phone": "912 000 111", "relationship": "sister", "primary": true}],
            "insurance": {"provider": "SNS", "policy_number": "123"},
            "medical_alerts": ["insulin dependent"],
            "communication": {"channel": "sms", "interpreter_needed": false},
            "preferred_language": "pt-PT", "status": "active"
        }"#;
        let profile: Profile = serde_json::from_str(json).unwrap();
        let profile = profile.normalize_and_validate(TODAY).unwrap();
        assert_eq!(profile.given_name, "José");
        assert_eq!(profile.allergies[0].substance, "penicillin");
        assert_eq!(profile.allergies[1].severity, Some(Severity::Moderate));
        assert_eq!(profile.blood_type, Some(BloodType::AbNeg));
    }

    #[test]
    fn unknown_blood_types_and_fields_are_refused_by_the_parser() {
        let bad_type = r#"{"given_name": "A", "family_name": "B", "blood_type": "C+"}"#;
        assert!(serde_json::from_str::<Profile>(bad_type).is_err());
        let typo = r#"{"given_name": "A", "family_name": "B", "birth": "2000-01-01"}"#;
        assert!(serde_json::from_str::<Profile>(typo).is_err());
    }

    #[test]
    fn each_rule_names_its_field() {
        let base = || Profile::named("Maria", "Silva");
        let mut p = base();
        p.given_name = "  ".into();
        assert_eq!(field_of(p.normalize_and_validate(TODAY)), "given name");
        let mut p = base();
        p.date_of_birth = Some("2027-01-01".into());
        assert_eq!(field_of(p.normalize_and_validate(TODAY)), "date of birth");
        let mut p = base();
        p.date_of_birth = Some("1984-02-30".into());
        assert_eq!(field_of(p.normalize_and_validate(TODAY)), "date of birth");
        let mut p = base();
        p.phone = Some("call me".into());
        assert_eq!(field_of(p.normalize_and_validate(TODAY)), "phone");
        let mut p = base();
        p.emergency_contacts.push(EmergencyContact {
            name: "Rui".into(),
            phone: " ".into(),
            relationship: None,
            primary: false,
        });
        assert_eq!(
            field_of(p.normalize_and_validate(TODAY)),
            "emergency contact phone"
        );
        let mut p = base();
        for name in ["A", "B"] {
            p.emergency_contacts.push(EmergencyContact {
                name: name.into(),
                phone: "123 456".into(),
                relationship: None,
                primary: true,
            });
        }
        assert_eq!(
            field_of(p.normalize_and_validate(TODAY)),
            "emergency contacts"
        );
        let mut p = base();
        p.medical_alerts = vec!["x".repeat(501)];
        assert_eq!(field_of(p.normalize_and_validate(TODAY)), "medical alert");
        let mut p = base();
        p.preferred_language = Some("français".into());
        assert_eq!(
            field_of(p.normalize_and_validate(TODAY)),
            "preferred language"
        );
    }
}
