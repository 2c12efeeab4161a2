//! Who may do what: the single (principal, action) table every core operation consults.
//!
//! The match is exhaustive over [`Action`], so a new action cannot be added without
//! deciding who may perform it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Staff roles.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the vault: accounts, audit, backups.
    Admin,
    /// Doctors and nurses.
    Clinician,
    /// Case workers who document the recovery journey.
    SocialWorker,
    /// Reception: scans access codes, sees what a grant allows.
    FrontDesk,
}

impl Role {
    /// Every role, for listings and exhaustive tests.
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Clinician,
        Role::SocialWorker,
        Role::FrontDesk,
    ];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clinician => "clinician",
            Role::SocialWorker => "social_worker",
            Role::FrontDesk => "front_desk",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_lowercase().replace('-', "_"))
            .ok_or_else(|| {
                Error::invalid(
                    "role",
                    format!(
                        "unknown role {s:?}; use admin, clinician, social_worker or front_desk"
                    ),
                )
            })
    }
}

/// Who is acting: a staff member in a role, or whoever holds the recovery key.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "role")]
pub enum Principal {
    /// A signed-in staff account.
    Staff(Role),
    /// The vault was opened with the recovery key: only account recovery is allowed.
    RecoveryKey,
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Staff(role) => role.fmt(f),
            Principal::RecoveryKey => f.write_str("the recovery key"),
        }
    }
}

/// Everything the core can be asked to do. Crosses IPC as its [`name`](Action::name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Creating the vault (the first admin only, once).
    VaultCreate,
    /// Opening a session (recorded at every unlock).
    SessionOpen,
    /// Reading the vault's summary.
    VaultInfo,
    /// Checking the database's and every photo file's integrity.
    VaultCheck,
    /// Replacing the vault's data key (re-encrypting everything, re-wrapping every slot).
    VaultRekey,
    /// Listing staff accounts.
    StaffList,
    /// Creating a staff account.
    StaffAdd,
    /// Changing one's own password.
    StaffSetOwnPassword,
    /// Setting another account's password.
    StaffSetPassword,
    /// Disabling an account.
    StaffDisable,
    /// Re-enabling a disabled account.
    StaffEnable,
    /// Reading the audit log.
    AuditList,
    /// Verifying the audit chain.
    AuditVerify,
    /// Registering a new patient.
    PatientCreate,
    /// Finding patients by name, id or phone (names, ids and birth dates only).
    PatientSearch,
    /// Reading a patient's whole profile.
    PatientView,
    /// Reading the front desk's part of a record: identity, contact details, emergency
    /// contacts and medical alerts.
    PatientViewDesk,
    /// Correcting names and contact details (the front desk's part of a record).
    PatientEditDesk,
    /// Changing a patient's profile.
    PatientEdit,
    /// Moving a patient to the bin, or back out of it.
    PatientDelete,
    /// Merging a duplicate patient record into another, or undoing that merge.
    PatientMerge,
    /// Reading visits and vitals.
    EncounterView,
    /// Recording a visit.
    EncounterRecord,
    /// Correcting a recorded visit: amending it (the earlier version kept) or voiding it.
    EncounterAmend,
    /// Reading narratives and their history.
    NarrativeView,
    /// Writing or editing a narrative.
    NarrativeWrite,
    /// Reading consents.
    ConsentView,
    /// Recording a consent decision.
    ConsentRecord,
    /// Reading providers' credentials.
    CredentialView,
    /// Setting and verifying providers' credentials.
    CredentialManage,
    /// Importing photos.
    PhotoImport,
    /// Seeing photos.
    PhotoView,
    /// Changing a photo's caption or who may see it.
    PhotoEdit,
    /// Moving a photo to the bin, or back out of it.
    PhotoDelete,
    /// Filling a vault with generated test data.
    DevSeed,
    /// Changing vault-wide settings (auto-lock).
    SettingsManage,
    /// Writing a backup of the whole vault to any folder, encrypted as the admin chooses. A
    /// backup carries every key slot and the database, so a clinician's own password would
    /// open all of it offline: only admins choose where one goes and how it is locked.
    BackupCreate,
    /// Running the backup an admin configured (its folders, its public key), now or on the
    /// schedule.
    BackupRun,
    /// Reading the backup history and schedule, and verifying a backup file.
    BackupList,
    /// Replacing the vault with a backup.
    BackupRestore,
    /// Changing the backup schedule and destinations, and pruning old backups.
    BackupManage,
    /// Erasing a patient (right to be forgotten): rows removed or anonymised, photo files
    /// deleted, their audit trail redacted.
    PatientErase,
    /// Writing a subject access export: everything held on one patient, in one archive.
    PatientSubjectExport,
    /// Reading and setting the retention policy, and running it.
    RetentionManage,
    /// Giving a patient an access code and QR card, or printing the card again.
    AccessGrant,
    /// Listing a patient's access grants.
    AccessList,
    /// Revoking an access grant.
    AccessRevoke,
    /// Opening a record with an access code or QR (what the grant allows, nothing more).
    AccessUse,
    /// Exporting a patient's emergency information (the summary's first section).
    ExportEmergency,
    /// Exporting a patient's clinical record: a full summary, the full record, a referral.
    ExportRecord,
    /// Reading the export log.
    ExportList,
    /// Checking whether an exported document is genuine.
    ExportVerify,
    /// Publishing this vault's transfer identity, and pairing with another vault (trusting
    /// its key for bundles in both directions).
    TransferPair,
    /// Writing a bundle of records for a paired vault, and taking in its receipts.
    TransferSend,
    /// Importing a paired vault's bundle (its records go through the policy for each kind
    /// of change too), and writing its receipt.
    TransferReceive,
    /// Seeing and settling what imports could not apply on their own: records changed on
    /// both sides, possible duplicates.
    TransferResolve,
}

impl Action {
    /// Every action, for exhaustive tests.
    pub const ALL: [Action; 56] = [
        Action::VaultCreate,
        Action::SessionOpen,
        Action::VaultInfo,
        Action::VaultCheck,
        Action::VaultRekey,
        Action::StaffList,
        Action::StaffAdd,
        Action::StaffSetOwnPassword,
        Action::StaffSetPassword,
        Action::StaffDisable,
        Action::StaffEnable,
        Action::AuditList,
        Action::AuditVerify,
        Action::PatientCreate,
        Action::PatientSearch,
        Action::PatientView,
        Action::PatientViewDesk,
        Action::PatientEditDesk,
        Action::PatientEdit,
        Action::PatientDelete,
        Action::PatientMerge,
        Action::EncounterView,
        Action::EncounterRecord,
        Action::EncounterAmend,
        Action::NarrativeView,
        Action::NarrativeWrite,
        Action::ConsentView,
        Action::ConsentRecord,
        Action::CredentialView,
        Action::CredentialManage,
        Action::PhotoImport,
        Action::PhotoView,
        Action::PhotoEdit,
        Action::PhotoDelete,
        Action::DevSeed,
        Action::SettingsManage,
        Action::BackupCreate,
        Action::BackupRun,
        Action::BackupList,
        Action::BackupRestore,
        Action::BackupManage,
        Action::PatientErase,
        Action::PatientSubjectExport,
        Action::RetentionManage,
        Action::AccessGrant,
        Action::AccessList,
        Action::AccessRevoke,
        Action::AccessUse,
        Action::ExportEmergency,
        Action::ExportRecord,
        Action::ExportList,
        Action::ExportVerify,
        Action::TransferPair,
        Action::TransferSend,
        Action::TransferReceive,
        Action::TransferResolve,
    ];

    /// The name recorded in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Action::VaultCreate => "vault.create",
            Action::SessionOpen => "session.open",
            Action::VaultInfo => "vault.info",
            Action::VaultCheck => "vault.check",
            Action::VaultRekey => "vault.rekey",
            Action::StaffList => "staff.list",
            Action::StaffAdd => "staff.add",
            Action::StaffSetOwnPassword => "staff.set_own_password",
            Action::StaffSetPassword => "staff.set_password",
            Action::StaffDisable => "staff.disable",
            Action::StaffEnable => "staff.enable",
            Action::AuditList => "audit.list",
            Action::AuditVerify => "audit.verify",
            Action::PatientCreate => "patient.create",
            Action::PatientSearch => "patient.search",
            Action::PatientView => "patient.view",
            Action::PatientViewDesk => "patient.view_desk",
            Action::PatientEditDesk => "patient.edit_desk",
            Action::PatientEdit => "patient.edit",
            Action::PatientDelete => "patient.delete",
            Action::PatientMerge => "patient.merge",
            Action::EncounterView => "encounter.view",
            Action::EncounterRecord => "encounter.record",
            Action::EncounterAmend => "encounter.amend",
            Action::NarrativeView => "narrative.view",
            Action::NarrativeWrite => "narrative.write",
            Action::ConsentView => "consent.view",
            Action::ConsentRecord => "consent.record",
            Action::CredentialView => "credential.view",
            Action::CredentialManage => "credential.manage",
            Action::PhotoImport => "photo.import",
            Action::PhotoView => "photo.view",
            Action::PhotoEdit => "photo.edit",
            Action::PhotoDelete => "photo.delete",
            Action::DevSeed => "dev.seed",
            Action::SettingsManage => "settings.manage",
            Action::BackupCreate => "backup.create",
            Action::BackupRun => "backup.run",
            Action::BackupList => "backup.list",
            Action::BackupRestore => "backup.restore",
            Action::BackupManage => "backup.manage",
            Action::PatientErase => "patient.erase",
            Action::PatientSubjectExport => "patient.subject_export",
            Action::RetentionManage => "retention.manage",
            Action::AccessGrant => "access.grant",
            Action::AccessList => "access.list",
            Action::AccessRevoke => "access.revoke",
            Action::AccessUse => "access.use",
            Action::ExportEmergency => "export.emergency",
            Action::ExportRecord => "export.record",
            Action::ExportList => "export.list",
            Action::ExportVerify => "export.verify",
            Action::TransferPair => "transfer.pair",
            Action::TransferSend => "transfer.send",
            Action::TransferReceive => "transfer.receive",
            Action::TransferResolve => "transfer.resolve",
        }
    }

    /// The action in words, for refusals: "<role> may not <description>".
    pub fn description(self) -> &'static str {
        match self {
            Action::VaultCreate => "create the vault",
            Action::SessionOpen => "open a session",
            Action::VaultInfo => "read the vault summary",
            Action::VaultCheck => "check the vault's integrity",
            Action::VaultRekey => "replace the vault's key",
            Action::StaffList => "list staff accounts",
            Action::StaffAdd => "add staff accounts",
            Action::StaffSetOwnPassword => "change their own password",
            Action::StaffSetPassword => "set other accounts' passwords",
            Action::StaffDisable => "disable staff accounts",
            Action::StaffEnable => "enable staff accounts",
            Action::AuditList => "read the audit log",
            Action::AuditVerify => "verify the audit chain",
            Action::PatientCreate => "register patients",
            Action::PatientSearch => "search for patients",
            Action::PatientView => "read patient records",
            Action::PatientViewDesk => "read patients' contact details and alerts",
            Action::PatientEditDesk => "correct patients' names and contact details",
            Action::PatientEdit => "change patient records",
            Action::PatientDelete => "delete or restore patients",
            Action::PatientMerge => "merge duplicate patient records",
            Action::EncounterView => "read visits",
            Action::EncounterRecord => "record visits",
            Action::EncounterAmend => "correct or void visits",
            Action::NarrativeView => "read narratives",
            Action::NarrativeWrite => "write narratives",
            Action::ConsentView => "read consents",
            Action::ConsentRecord => "record consents",
            Action::CredentialView => "read provider credentials",
            Action::CredentialManage => "manage provider credentials",
            Action::PhotoImport => "import photos",
            Action::PhotoView => "see photos",
            Action::PhotoEdit => "change photos' captions or privacy",
            Action::PhotoDelete => "delete or restore photos",
            Action::DevSeed => "generate test data",
            Action::SettingsManage => "change vault settings",
            Action::BackupCreate => "back up the vault to a folder of your choice",
            Action::BackupRun => "run the backup an admin configured",
            Action::BackupList => "see or verify backups",
            Action::BackupRestore => "restore the vault from a backup",
            Action::BackupManage => "change the backup schedule or prune backups",
            Action::PatientErase => "erase patients",
            Action::PatientSubjectExport => "export everything held on a patient",
            Action::RetentionManage => "manage or run the retention policy",
            Action::AccessGrant => "give patients access codes",
            Action::AccessList => "list a patient's access codes",
            Action::AccessRevoke => "revoke access codes",
            Action::AccessUse => "open a record with an access code",
            Action::ExportEmergency => "export emergency information",
            Action::ExportRecord => "export clinical records",
            Action::ExportList => "read the export log",
            Action::ExportVerify => "check exported documents",
            Action::TransferPair => "pair this vault with another",
            Action::TransferSend => "send records to a paired vault",
            Action::TransferReceive => "import records from a paired vault",
            Action::TransferResolve => "settle transfer conflicts",
        }
    }
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The TypeScript type: a union of every action's name (written by hand because the
/// derive would spell the variants again as strings; `name` is their one spelling).
#[cfg(feature = "ts")]
impl ts_rs::TS for Action {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn docs() -> Option<String> {
        // ts-rs writes this as it is: a whole JSDoc comment.
        Some(
            "/**\n * Everything the core can be asked to do, by its name in the audit log.\n */\n"
                .into(),
        )
    }

    fn name(_: &ts_rs::Config) -> String {
        "Action".into()
    }

    fn inline(_: &ts_rs::Config) -> String {
        let names: Vec<String> = Action::ALL
            .iter()
            .map(|a| format!("\"{}\"", a.name()))
            .collect();
        names.join(" | ")
    }

    fn decl(cfg: &ts_rs::Config) -> String {
        format!("type Action = {};", Self::inline(cfg))
    }

    fn decl_concrete(cfg: &ts_rs::Config) -> String {
        Self::decl(cfg)
    }

    fn output_path() -> Option<std::path::PathBuf> {
        Some("Action.ts".into())
    }
}

/// Every action `principal` may perform, in [`Action::ALL`]'s order: what a session tells
/// its front end it may offer.
pub fn permitted(principal: Principal) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| allows(principal, *a))
        .collect()
}

/// Whether `principal` may perform `action`.
///
/// Admins may do everything: in the small clinics Tessera serves, the admin is usually also
/// a practitioner. Front desk registers and finds patients but reads nothing clinical (what
/// an access grant opens to it is decided by the grant, in `access`). The recovery key only
/// repairs accounts. Erasure, subject access exports and retention are admins' alone: they
/// are the data controller's decisions, and an export holds every photo, private ones too.
pub fn allows(principal: Principal, action: Action) -> bool {
    let Principal::Staff(role) = principal else {
        return matches!(
            action,
            Action::SessionOpen
                | Action::VaultInfo
                | Action::StaffList
                | Action::StaffAdd
                | Action::StaffSetPassword
                | Action::StaffEnable
                | Action::AuditList
                | Action::AuditVerify
                | Action::BackupList
                | Action::BackupRestore
        );
    };
    let admin = role == Role::Admin;
    let practitioner = matches!(role, Role::Admin | Role::Clinician | Role::SocialWorker);
    match action {
        Action::SessionOpen
        | Action::VaultInfo
        | Action::StaffSetOwnPassword
        | Action::PatientCreate
        | Action::PatientSearch
        | Action::PatientViewDesk
        | Action::PatientEditDesk => true,
        Action::PatientView
        | Action::PatientEdit
        | Action::EncounterView
        | Action::EncounterRecord
        | Action::EncounterAmend
        | Action::NarrativeView
        | Action::NarrativeWrite
        | Action::ConsentView
        | Action::ConsentRecord
        | Action::CredentialView
        | Action::PhotoImport
        | Action::PhotoView
        | Action::PhotoEdit
        | Action::PhotoDelete
        | Action::BackupRun
        | Action::BackupList
        | Action::AccessGrant
        | Action::AccessList
        | Action::AccessRevoke
        | Action::ExportRecord
        | Action::TransferSend
        | Action::TransferReceive
        | Action::TransferResolve => practitioner,
        // Any staff member at a desk may open what a patient's code opens; the grant, not
        // the role, then decides what is shown.
        Action::AccessUse => true,
        // Front desk may print what it may already read at the desk: who the patient is and
        // their emergency information. Anyone may check a document handed to them, and see
        // what has left the vault.
        Action::ExportEmergency | Action::ExportList | Action::ExportVerify => true,
        Action::VaultCreate
        | Action::VaultCheck
        | Action::VaultRekey
        | Action::StaffList
        | Action::StaffAdd
        | Action::StaffSetPassword
        | Action::StaffDisable
        | Action::StaffEnable
        | Action::AuditList
        | Action::AuditVerify
        | Action::PatientDelete
        | Action::PatientMerge
        | Action::CredentialManage
        | Action::DevSeed
        | Action::SettingsManage
        | Action::BackupCreate
        | Action::BackupRestore
        | Action::BackupManage
        | Action::TransferPair => admin,
        Action::PatientErase | Action::PatientSubjectExport | Action::RetentionManage => admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_names_and_common_spellings() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert_eq!("Front-Desk".parse::<Role>().unwrap(), Role::FrontDesk);
        assert!(matches!(
            "nurse".parse::<Role>(),
            Err(Error::Invalid { field: "role", .. })
        ));
    }

    /// The whole table, pinned: a change to who may do what must change this test.
    #[test]
    fn policy_table() {
        let principals = [
            Principal::Staff(Role::Admin),
            Principal::Staff(Role::Clinician),
            Principal::Staff(Role::SocialWorker),
            Principal::Staff(Role::FrontDesk),
            Principal::RecoveryKey,
        ];
        let expected: &[(Action, [bool; 5])] = &[
            (Action::VaultCreate, [true, false, false, false, false]),
            (Action::SessionOpen, [true, true, true, true, true]),
            (Action::VaultInfo, [true, true, true, true, true]),
            (Action::VaultCheck, [true, false, false, false, false]),
            (Action::VaultRekey, [true, false, false, false, false]),
            (Action::StaffList, [true, false, false, false, true]),
            (Action::StaffAdd, [true, false, false, false, true]),
            (Action::StaffSetOwnPassword, [true, true, true, true, false]),
            (Action::StaffSetPassword, [true, false, false, false, true]),
            (Action::StaffDisable, [true, false, false, false, false]),
            (Action::StaffEnable, [true, false, false, false, true]),
            (Action::AuditList, [true, false, false, false, true]),
            (Action::AuditVerify, [true, false, false, false, true]),
            (Action::PatientCreate, [true, true, true, true, false]),
            (Action::PatientSearch, [true, true, true, true, false]),
            (Action::PatientView, [true, true, true, false, false]),
            (Action::PatientViewDesk, [true, true, true, true, false]),
            (Action::PatientEditDesk, [true, true, true, true, false]),
            (Action::PatientEdit, [true, true, true, false, false]),
            (Action::PatientDelete, [true, false, false, false, false]),
            (Action::PatientMerge, [true, false, false, false, false]),
            (Action::EncounterView, [true, true, true, false, false]),
            (Action::EncounterRecord, [true, true, true, false, false]),
            (Action::EncounterAmend, [true, true, true, false, false]),
            (Action::NarrativeView, [true, true, true, false, false]),
            (Action::NarrativeWrite, [true, true, true, false, false]),
            (Action::ConsentView, [true, true, true, false, false]),
            (Action::ConsentRecord, [true, true, true, false, false]),
            (Action::CredentialView, [true, true, true, false, false]),
            (Action::CredentialManage, [true, false, false, false, false]),
            (Action::PhotoImport, [true, true, true, false, false]),
            (Action::PhotoView, [true, true, true, false, false]),
            (Action::PhotoEdit, [true, true, true, false, false]),
            (Action::PhotoDelete, [true, true, true, false, false]),
            (Action::DevSeed, [true, false, false, false, false]),
            (Action::SettingsManage, [true, false, false, false, false]),
            (Action::BackupCreate, [true, false, false, false, false]),
            (Action::BackupRun, [true, true, true, false, false]),
            (Action::BackupList, [true, true, true, false, true]),
            (Action::BackupRestore, [true, false, false, false, true]),
            (Action::BackupManage, [true, false, false, false, false]),
            (Action::PatientErase, [true, false, false, false, false]),
            (
                Action::PatientSubjectExport,
                [true, false, false, false, false],
            ),
            (Action::RetentionManage, [true, false, false, false, false]),
            (Action::AccessGrant, [true, true, true, false, false]),
            (Action::AccessList, [true, true, true, false, false]),
            (Action::AccessRevoke, [true, true, true, false, false]),
            (Action::AccessUse, [true, true, true, true, false]),
            (Action::ExportEmergency, [true, true, true, true, false]),
            (Action::ExportRecord, [true, true, true, false, false]),
            (Action::ExportList, [true, true, true, true, false]),
            (Action::ExportVerify, [true, true, true, true, false]),
            (Action::TransferPair, [true, false, false, false, false]),
            (Action::TransferSend, [true, true, true, false, false]),
            (Action::TransferReceive, [true, true, true, false, false]),
            (Action::TransferResolve, [true, true, true, false, false]),
        ];
        assert_eq!(expected.len(), Action::ALL.len());
        for (action, row) in expected {
            for (principal, allowed) in principals.iter().zip(row) {
                assert_eq!(
                    allows(*principal, *action),
                    *allowed,
                    "{principal} / {}",
                    action.name()
                );
            }
        }
    }
}
