//! `tessera narrative ...`.

use anyhow::{Result, anyhow};
use tessera_core::narratives::{self, Narrative, NewNarrative, Revision};

use crate::args::{Cli, NarrativeCommand};
use crate::output;

pub fn run(cli: &Cli, command: &NarrativeCommand) -> Result<()> {
    let mut session = super::unlock(cli)?;
    match command {
        NarrativeCommand::Add {
            patient,
            text,
            title,
            photo,
            author_type,
            private,
        } => {
            let new = NewNarrative {
                body: text.clone(),
                title: title.clone(),
                photo_id: photo.clone(),
                author_type: *author_type,
                private: *private,
            };
            let narrative = narratives::add(&mut session, patient, new)?;
            output::emit(cli.json, &narrative, |n| {
                println!("{}", n.id);
                eprintln!("Saved the narrative (revision 1).");
            })
        }
        NarrativeCommand::Edit {
            id,
            text,
            title,
            expect_revision,
        } => {
            let expected = match expect_revision {
                Some(revision) => *revision,
                None => narratives::history(&mut session, id)?
                    .last()
                    .map(|r| r.revision)
                    .ok_or_else(|| anyhow!("narrative {id} has no revisions"))?,
            };
            let narrative = narratives::edit(&mut session, id, text, title.as_deref(), expected)?;
            output::emit(cli.json, &narrative, |n| {
                if n.revision == expected {
                    eprintln!("No change: the text and title are as they were.");
                } else {
                    eprintln!("Saved revision {} of narrative {}.", n.revision, n.id);
                }
            })
        }
        NarrativeCommand::List { patient } => {
            let list = narratives::list(&mut session, patient)?;
            output::emit(cli.json, &list, |l| print_narratives(l))
        }
        NarrativeCommand::History { id } => {
            let revisions = narratives::history(&mut session, id)?;
            output::emit(cli.json, &revisions, |r| print_revisions(r))
        }
    }
}

fn print_narratives(list: &[Narrative]) {
    if list.is_empty() {
        eprintln!("No narratives written.");
    }
    for (i, n) in list.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!(
            "{}  revision {}, by {} ({}), updated {}",
            n.id,
            n.revision,
            n.author,
            output::name(&n.author_type),
            output::when(&n.updated_at)
        );
        print_text(n.title.as_deref(), n.photo_id.as_deref(), &n.body);
    }
}

fn print_revisions(list: &[Revision]) {
    for (i, r) in list.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!(
            "revision {}  {}  {}",
            r.revision,
            output::when(&r.edited_at),
            r.edited_by
        );
        print_text(r.title.as_deref(), r.photo_id.as_deref(), &r.body);
    }
}

fn print_text(title: Option<&str>, photo: Option<&str>, body: &str) {
    if let Some(title) = title {
        println!("title: {title}");
    }
    if let Some(photo) = photo {
        println!("photo: {photo}");
    }
    for line in body.lines() {
        println!("  {line}");
    }
}
