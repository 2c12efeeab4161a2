//! Narratives: the patient's recovery story in their own words or a worker's, optionally
//! tied to a photo. Every version is kept in `narrative_revisions`, the first included, so
//! `history` shows who wrote what and when; an edit names the revision it was based on.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::media;
use crate::patients::{self, profile, search};
use crate::policy::{Action, Principal, Role};
use crate::session::{Actor, Session, WriteTx};

/// Who a narrative speaks for.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorType {
    /// The patient's own words (typed by staff on their behalf, or dictated).
    Patient,
    /// A social worker.
    SocialWorker,
    /// A clinician.
    Clinician,
}

impl AuthorType {
    fn as_str(self) -> &'static str {
        match self {
            AuthorType::Patient => "patient",
            AuthorType::SocialWorker => "social_worker",
            AuthorType::Clinician => "clinician",
        }
    }

    fn parse(stored: &str) -> AuthorType {
        match stored {
            "patient" => AuthorType::Patient,
            "social_worker" => AuthorType::SocialWorker,
            _ => AuthorType::Clinician,
        }
    }

    /// What a staff member writes as by default.
    fn of(principal: Principal) -> AuthorType {
        match principal {
            Principal::Staff(Role::SocialWorker | Role::FrontDesk) => AuthorType::SocialWorker,
            _ => AuthorType::Clinician,
        }
    }
}

/// A narrative to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewNarrative {
    /// The story.
    pub body: String,
    /// A short title.
    pub title: Option<String>,
    /// The photo it is about.
    pub photo_id: Option<String>,
    /// Who it speaks for [default: the writer's role].
    pub author_type: Option<AuthorType>,
    /// Readable only by its author and admins, like a private photo.
    pub private: bool,
}

/// A narrative as it reads now.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Narrative {
    /// UUIDv7.
    pub id: String,
    /// The patient's id.
    pub patient_id: String,
    /// The photo it is about.
    pub photo_id: Option<String>,
    /// Who first wrote it.
    pub author: String,
    /// Who it speaks for.
    pub author_type: AuthorType,
    /// The writer's role when they wrote it (`None` for narratives from before it was kept).
    pub author_role: Option<Role>,
    /// Readable only by its author and admins.
    pub private: bool,
    /// Title.
    pub title: Option<String>,
    /// The current text.
    pub body: String,
    /// Current revision, from 1.
    pub revision: u32,
    /// Written, RFC 3339.
    pub created_at: String,
    /// Last edited, RFC 3339.
    pub updated_at: String,
}

/// One version of a narrative.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// The narrative.
    pub narrative_id: String,
    /// Its number, from 1.
    pub revision: u32,
    /// Title at that revision.
    pub title: Option<String>,
    /// Text at that revision.
    pub body: String,
    /// Photo at that revision.
    pub photo_id: Option<String>,
    /// Who wrote this revision.
    pub edited_by: String,
    /// When, RFC 3339.
    pub edited_at: String,
}

/// Longest narrative, in characters.
const MAX_BODY: usize = 100_000;

/// Writes a new narrative for a patient (by id or human id).
pub fn add(session: &mut Session, patient: &str, new: NewNarrative) -> Result<Narrative> {
    let author_type = new
        .author_type
        .unwrap_or_else(|| AuthorType::of(session.actor().principal));
    let new = NewNarrative {
        author_type: Some(author_type),
        ..checked(new)?
    };
    session.write(Action::NarrativeWrite, |w| {
        let found = patients::resolve_current(w.conn(), patient)?;
        let narrative = insert(w, &found.id, &new, clock::now_ms())?;
        search::reindex(w.conn(), found.rowid)?;
        Ok(narrative)
    })
}

/// Replaces a narrative's text (and title or photo, when given). `expected_revision` is the
/// revision the edit was based on; a narrative edited in between is refused, not overwritten.
pub fn edit(
    session: &mut Session,
    narrative_id: &str,
    body: &str,
    title: Option<&str>,
    expected_revision: u32,
) -> Result<Narrative> {
    let body = checked_body(body)?;
    let title = profile::optional("title", title.map(str::to_owned))?;
    session.write(Action::NarrativeWrite, |w| {
        let before = load_readable(w.conn(), w.actor(), narrative_id)?;
        let patient = patients::resolve_current(w.conn(), &before.patient_id)?;
        if before.revision != expected_revision {
            return Err(Error::Conflict(format!(
                "narrative {narrative_id} was edited since you opened it (you edited revision \
                 {expected_revision}, it is now revision {}, saved {}); reload it and apply your \
                 change again",
                before.revision, before.updated_at
            )));
        }
        let after = revise(w, &before, title.as_deref(), &body, clock::now_ms())?;
        search::reindex(w.conn(), patient.rowid)?;
        Ok(after)
    })
}

/// Writes a new revision of `before` (keeping its title when `title` is `None`) and records
/// it. Nothing is written when the text and title are unchanged. Does not reindex.
pub(crate) fn revise(
    w: &mut WriteTx<'_>,
    before: &Narrative,
    title: Option<&str>,
    body: &str,
    now: i64,
) -> Result<Narrative> {
    let title = title.map(str::to_owned).or_else(|| before.title.clone());
    if before.body == body && before.title == title {
        return Ok(before.clone());
    }
    let revision = before.revision + 1;
    w.conn()
        .prepare_cached(
            "UPDATE narratives SET body = ?1, title = ?2, revision = ?3, updated_at = ?4 WHERE id = ?5",
        )?
        .execute(params![body, title, revision, now, before.id])?;
    insert_revision(
        w,
        &before.id,
        revision,
        title.as_deref(),
        body,
        before.photo_id.as_deref(),
        now,
    )?;
    let after = Narrative {
        title,
        body: body.to_owned(),
        revision,
        updated_at: clock::to_rfc3339(now),
        ..before.clone()
    };
    w.record_as(
        Action::NarrativeWrite.name(),
        Change::new("narrative", Some(&before.id))
            .before(audited_text(before))
            .after(audited_text(&after)),
    )?;
    Ok(after)
}

/// A patient's narratives, newest first. Audited as a view.
pub fn list(session: &mut Session, patient: &str) -> Result<Vec<Narrative>> {
    session.write(Action::NarrativeView, |w| {
        let found = patients::resolve_following_merges(w.conn(), patient)?;
        let narratives = for_patient(w.conn(), &found.id, Some(w.actor()))?;
        w.record(
            Change::new("patient", Some(&found.id))
                .after(json!({ "narratives": narratives.len() })),
        )?;
        Ok(narratives)
    })
}

/// Every revision of a narrative, oldest first. Audited as a view.
pub fn history(session: &mut Session, narrative_id: &str) -> Result<Vec<Revision>> {
    session.write(Action::NarrativeView, |w| {
        load_readable(w.conn(), w.actor(), narrative_id)?;
        let revisions = revisions(w.conn(), narrative_id)?;
        w.record(
            Change::new("narrative", Some(narrative_id))
                .after(json!({ "revisions": revisions.len() })),
        )?;
        Ok(revisions)
    })
}

/// Checks a new narrative's text, title and photo reference.
pub(crate) fn checked(new: NewNarrative) -> Result<NewNarrative> {
    let photo_id = profile::reference("photo", new.photo_id)?;
    Ok(NewNarrative {
        body: checked_body(&new.body)?,
        title: profile::optional("title", new.title)?,
        photo_id,
        author_type: new.author_type,
        private: new.private,
    })
}

fn checked_body(body: &str) -> Result<String> {
    let body = body.trim();
    if body.is_empty() {
        return Err(Error::invalid("text", "is required"));
    }
    if body.chars().count() > MAX_BODY {
        return Err(Error::invalid(
            "text",
            format!("is too long (at most {MAX_BODY} characters)"),
        ));
    }
    Ok(body.to_owned())
}

/// Inserts a checked narrative and its first revision, and records it. Does not reindex.
pub(crate) fn insert(
    w: &mut WriteTx<'_>,
    patient_id: &str,
    new: &NewNarrative,
    now: i64,
) -> Result<Narrative> {
    if let Some(photo_id) = &new.photo_id {
        media::check_attachable(w.conn(), w.actor(), patient_id, photo_id)?;
    }
    let id = Uuid::now_v7().to_string();
    let author = w.actor_name().to_owned();
    let author_type = new.author_type.unwrap_or(AuthorType::Clinician);
    let author_role = match w.actor().principal {
        Principal::Staff(role) => Some(role),
        Principal::RecoveryKey => None,
    };
    w.conn()
        .prepare_cached(
            "INSERT INTO narratives (id, patient_id, photo_id, author_id, author_name, author_type, \
             author_role, private, title, body, revision, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?11)",
        )?
        .execute(params![
            id,
            patient_id,
            new.photo_id,
            w.actor_id(),
            author,
            author_type.as_str(),
            author_role.map(Role::as_str),
            new.private,
            new.title,
            new.body,
            now,
        ])?;
    insert_revision(
        w,
        &id,
        1,
        new.title.as_deref(),
        &new.body,
        new.photo_id.as_deref(),
        now,
    )?;
    let narrative = Narrative {
        id: id.clone(),
        patient_id: patient_id.to_owned(),
        photo_id: new.photo_id.clone(),
        author,
        author_type,
        author_role,
        private: new.private,
        title: new.title.clone(),
        body: new.body.clone(),
        revision: 1,
        created_at: clock::to_rfc3339(now),
        updated_at: clock::to_rfc3339(now),
    };
    w.record_as(
        Action::NarrativeWrite.name(),
        Change::new("narrative", Some(&id)).after(audited(&narrative)),
    )?;
    Ok(narrative)
}

/// Appends one revision row. Used by `insert`, `edit` and the seeder, so every version
/// of every narrative is kept the same way.
pub(crate) fn insert_revision(
    w: &WriteTx<'_>,
    narrative_id: &str,
    revision: u32,
    title: Option<&str>,
    body: &str,
    photo_id: Option<&str>,
    now: i64,
) -> Result<()> {
    w.conn()
        .prepare_cached(
            "INSERT INTO narrative_revisions (narrative_id, revision, title, body, photo_id, \
             edited_by, editor_name, edited_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            narrative_id,
            revision,
            title,
            body,
            photo_id,
            w.actor_id(),
            w.actor_name(),
            now
        ])?;
    Ok(())
}

/// A narrative as its audit entry records it. The text of a private one stays out: the
/// audit log is read by admins and the recovery key, and the recovery key may not read it.
fn audited(narrative: &Narrative) -> serde_json::Value {
    let mut value = json!(narrative);
    if let (Some(entry), serde_json::Value::Object(text)) =
        (value.as_object_mut(), audited_text(narrative))
    {
        entry.extend(text);
    }
    value
}

/// The revision and text of a narrative for an audit entry: the text itself when shared, its
/// length when private.
fn audited_text(narrative: &Narrative) -> serde_json::Value {
    if narrative.private {
        json!({
            "revision": narrative.revision,
            "title": null,
            "body": null,
            "private_chars": narrative.body.chars().count(),
        })
    } else {
        json!({ "revision": narrative.revision, "title": narrative.title, "body": narrative.body })
    }
}

/// A patient's narratives that `reader` may read, newest first, without auditing (callers
/// do). `None` reads the shared ones only (what an access grant shows).
pub(crate) fn for_patient(
    conn: &Connection,
    patient_id: &str,
    reader: Option<&Actor>,
) -> Result<Vec<Narrative>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT_NARRATIVE} WHERE patient_id = ?1 ORDER BY created_at DESC, id DESC"
    ))?;
    let rows = stmt
        .query_map([patient_id], |r| {
            Ok((narrative_from_row(r)?, r.get::<_, Option<String>>(12)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter(|(n, author_id)| readable(n, author_id.as_deref(), reader))
        .map(|(n, _)| n)
        .collect())
}

/// Whether `reader` may read `narrative` (written by the staff id `author_id`): a shared one
/// anyone who may read narratives; a private one its author and admins.
fn readable(narrative: &Narrative, author_id: Option<&str>, reader: Option<&Actor>) -> bool {
    !narrative.private
        || reader.is_some_and(|actor| {
            actor.principal == Principal::Staff(Role::Admin)
                || (actor.staff_id.is_some() && actor.staff_id.as_deref() == author_id)
        })
}

/// The narrative `id`, if `actor` may read it.
fn load_readable(conn: &Connection, actor: &Actor, id: &str) -> Result<Narrative> {
    let (narrative, author_id) = conn
        .prepare_cached(&format!("{SELECT_NARRATIVE} WHERE id = ?1"))?
        .query_row([id.trim()], |r| {
            Ok((narrative_from_row(r)?, r.get::<_, Option<String>>(12)?))
        })
        .optional()?
        .ok_or_else(|| Error::NotFound {
            what: "narrative",
            id: id.to_owned(),
        })?;
    if !readable(&narrative, author_id.as_deref(), Some(actor)) {
        return Err(Error::Denied {
            role: actor.principal.to_string(),
            action: "read a narrative another staff member keeps private".to_owned(),
        });
    }
    Ok(narrative)
}

/// Every revision of a narrative, oldest first, without auditing (callers do).
pub(crate) fn revisions(conn: &Connection, narrative_id: &str) -> Result<Vec<Revision>> {
    let mut stmt = conn.prepare_cached(
        "SELECT narrative_id, revision, title, body, photo_id, editor_name, edited_at \
         FROM narrative_revisions WHERE narrative_id = ?1 ORDER BY revision",
    )?;
    let revisions = stmt
        .query_map([narrative_id], |r| {
            Ok(Revision {
                narrative_id: r.get(0)?,
                revision: r.get(1)?,
                title: r.get(2)?,
                body: r.get(3)?,
                photo_id: r.get(4)?,
                edited_by: r.get(5)?,
                edited_at: clock::to_rfc3339(r.get(6)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(revisions)
}

/// The columns of a [`Narrative`], then the author's staff id (column 12), which decides who
/// may read a private one.
const SELECT_NARRATIVE: &str = "SELECT id, patient_id, photo_id, author_name, author_type, title, \
     body, revision, created_at, updated_at, author_role, private, author_id FROM narratives";

fn narrative_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Narrative> {
    Ok(Narrative {
        id: r.get(0)?,
        patient_id: r.get(1)?,
        photo_id: r.get(2)?,
        author: r.get(3)?,
        author_type: AuthorType::parse(&r.get::<_, String>(4)?),
        title: r.get(5)?,
        body: r.get(6)?,
        revision: r.get(7)?,
        created_at: clock::to_rfc3339(r.get(8)?),
        updated_at: clock::to_rfc3339(r.get(9)?),
        author_role: r
            .get::<_, Option<String>>(10)?
            .and_then(|role| role.parse().ok()),
        private: r.get(11)?,
    })
}
