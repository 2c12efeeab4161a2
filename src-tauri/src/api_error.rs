//! The one error type that crosses IPC: `{ code, message }`, with the codes the UI acts on.

use serde::Serialize;
use tessera_core::{Error, ErrorClass};
use ts_rs::TS;

/// What the UI does with an error depends on its code; the message is shown as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Wrong user name, password or recovery key.
    BadCredentials,
    /// Too many failed sign-ins; `retry_after_secs` says how long to wait.
    LockedOut,
    /// The role may not do this.
    Denied,
    /// Someone else chose this account's password: the user must choose their own first.
    PasswordChangeRequired,
    /// The record does not exist.
    NotFound,
    /// Input failed validation; `field` names the field.
    Invalid,
    /// Someone else saved first, or the change conflicts with the current state.
    Conflict,
    /// A registration matched patients who may be the same person (`patient_duplicates`
    /// lists them); `not_duplicate` registers anyway.
    LikelyDuplicate,
    /// The vault, its audit chain or a signature failed an integrity check.
    Integrity,
    /// The vault is locked (or was never opened): sign in again.
    NoSession,
    /// The user cancelled the work (a backup); nothing was left behind.
    Cancelled,
    /// An access code or QR did not open a grant; `reason` says why (`revoked`, `expired`,
    /// `wrong_code`, `too_many_attempts` with `retry_after_secs`, ...).
    AccessRefused,
    /// A transfer bundle, receipt or identity this vault will not take; `reason` says why
    /// (`for_another_vault`, `not_paired`, `bad_signature`, `other_version`, `gap`, ...) and
    /// the message names the vaults. Nothing was applied.
    BundleRefused,
    /// A transfer bundle or receipt that is damaged or incomplete (a changed byte, a part
    /// missing); nothing of it was applied.
    BundleDamaged,
    /// Anything else; the message says what.
    Internal,
}

/// An error as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ApiError {
    /// What kind of error.
    pub code: ErrorCode,
    /// The message to show.
    pub message: String,
    /// The field at fault, for `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
    /// Why an access code or QR was refused, for `access_refused`; why a transfer file was,
    /// for `bundle_refused`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<String>,
    /// Seconds to wait, for `locked_out` and `too_many_attempts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            field: None,
            reason: None,
            retry_after_secs: None,
        }
    }

    pub fn no_session() -> ApiError {
        ApiError::new(ErrorCode::NoSession, "the vault is locked; sign in again")
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> ApiError {
        let message = err.to_string();
        let code = match &err {
            Error::BadCredentials | Error::BadRecoveryKey | Error::MalformedRecoveryKey(_) => {
                ErrorCode::BadCredentials
            }
            Error::LockedOut { retry_after_secs } => {
                return ApiError {
                    retry_after_secs: Some(*retry_after_secs),
                    ..ApiError::new(ErrorCode::LockedOut, message)
                };
            }
            Error::AccessRefused(refusal) => {
                return ApiError {
                    reason: Some(refusal.name().to_owned()),
                    retry_after_secs: match refusal {
                        tessera_core::AccessRefusal::TooManyAttempts { retry_after_secs } => {
                            Some(*retry_after_secs)
                        }
                        _ => None,
                    },
                    ..ApiError::new(ErrorCode::AccessRefused, message)
                };
            }
            Error::Denied { .. } => ErrorCode::Denied,
            Error::PasswordChangeRequired(_) => ErrorCode::PasswordChangeRequired,
            Error::LikelyDuplicate { .. } => ErrorCode::LikelyDuplicate,
            Error::NotFound { .. } | Error::VaultNotFound(_) => ErrorCode::NotFound,
            Error::Invalid { field, .. } => {
                return ApiError {
                    field: Some((*field).to_owned()),
                    ..ApiError::new(ErrorCode::Invalid, message)
                };
            }
            Error::Photo(_) => {
                return ApiError {
                    field: Some("photo".to_owned()),
                    ..ApiError::new(ErrorCode::Invalid, message)
                };
            }
            // The passphrase or key typed for a backup is the field at fault.
            Error::BackupWrongKey(_) => {
                return ApiError {
                    field: Some("passphrase".to_owned()),
                    ..ApiError::new(ErrorCode::Invalid, message)
                };
            }
            Error::Cancelled => ErrorCode::Cancelled,
            // Not the role's refusal nor the vault's damage: the file brought in.
            Error::BundleRefused(refusal) => {
                return ApiError {
                    reason: Some(refusal.name().to_owned()),
                    ..ApiError::new(ErrorCode::BundleRefused, message)
                };
            }
            Error::BundleDamaged(_) => ErrorCode::BundleDamaged,
            // The session closed itself half-way through a key replacement.
            Error::RekeyUnfinished(_) => ErrorCode::NoSession,
            Error::Conflict(_) | Error::VaultExists(_) | Error::VaultInUse => ErrorCode::Conflict,
            other => match other.class() {
                ErrorClass::Integrity => ErrorCode::Integrity,
                ErrorClass::Refused => ErrorCode::Denied,
                ErrorClass::Failure => ErrorCode::Internal,
            },
        };
        ApiError::new(code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI matches these exact shapes: a change here is a change of the IPC contract.
    #[test]
    fn errors_serialise_to_the_shapes_the_ui_reads() {
        let json = |e: Error| serde_json::to_value(ApiError::from(e)).unwrap();
        assert_eq!(
            json(Error::BadCredentials),
            serde_json::json!({ "code": "bad_credentials", "message": "wrong user name or password" })
        );
        assert_eq!(
            json(Error::LockedOut {
                retry_after_secs: 30
            }),
            serde_json::json!({
                "code": "locked_out",
                "message": "too many failed sign-ins: this account is locked for another 30 s",
                "retry_after_secs": 30
            })
        );
        assert_eq!(
            json(Error::Invalid {
                field: "pulse",
                message: "720 bpm is implausible".into()
            }),
            serde_json::json!({ "code": "invalid", "message": "pulse: 720 bpm is implausible", "field": "pulse" })
        );
        assert_eq!(json(Error::Conflict("stale".into()))["code"], "conflict");
        assert_eq!(json(Error::PlaintextDatabase)["code"], "integrity");
        assert_eq!(json(Error::Cancelled)["code"], "cancelled");
        assert_eq!(
            json(Error::BackupWrongKey("/b/x.age".into())),
            serde_json::json!({
                "code": "invalid",
                "message": "the backup /b/x.age cannot be decrypted: wrong passphrase or key (or its encryption header is damaged)",
                "field": "passphrase"
            })
        );
        assert_eq!(json(Error::VaultInUse)["code"], "conflict");
        assert_eq!(
            json(Error::BundleRefused(
                tessera_core::TransferRefusal::ForAnotherVault(Some("0190".into()))
            )),
            serde_json::json!({
                "code": "bundle_refused",
                "message": "this was made for vault 0190, not this one",
                "reason": "for_another_vault"
            })
        );
        assert_eq!(
            json(Error::BundleDamaged("part 2 is missing".into())),
            serde_json::json!({
                "code": "bundle_damaged",
                "message": "the transfer bundle is damaged or incomplete: part 2 is missing"
            })
        );
        assert_eq!(
            json(Error::AccessRefused(
                tessera_core::AccessRefusal::TooManyAttempts {
                    retry_after_secs: 60
                }
            )),
            serde_json::json!({
                "code": "access_refused",
                "message": "too many wrong access codes: wait 60 s before trying again",
                "reason": "too_many_attempts",
                "retry_after_secs": 60
            })
        );
        assert_eq!(
            serde_json::to_value(ApiError::no_session()).unwrap()["code"],
            "no_session"
        );
    }
}
