//! `tessera user ...`.

use anyhow::Result;
use tessera_core::accounts::{self, NewStaff, StaffAccount};

use crate::args::{Cli, UserCommand};
use crate::output;
use crate::secrets::{self, UsageError};

pub fn run(cli: &Cli, command: &UserCommand) -> Result<()> {
    let mut session = super::unlock(cli)?;
    match command {
        UserCommand::Add {
            username,
            role,
            name,
        } => {
            let role = role.parse()?;
            let password = secrets::new_password(username)?;
            let new = NewStaff {
                username,
                display_name: name.as_deref().unwrap_or(""),
                role,
                must_change_password: false,
            };
            let account = accounts::add(&mut session, &new, &password)?;
            output::emit(cli.json, &account, |a| {
                eprintln!("Added {} ({}).", a.username, a.role)
            })
        }
        UserCommand::List => {
            let list = accounts::list(&mut session)?;
            output::emit(cli.json, &list, |list| print_accounts(list))
        }
        UserCommand::Passwd { username } => {
            let target = match (username.as_deref(), cli.user.as_deref()) {
                (Some(name), _) | (None, Some(name)) => name.to_owned(),
                (None, None) => {
                    anyhow::bail!(UsageError("name the account whose password to set".into()))
                }
            };
            let password = secrets::new_password(&target)?;
            accounts::set_password(&mut session, &target, &password)?;
            let report =
                serde_json::json!({ "username": target.to_lowercase(), "password": "changed" });
            output::emit(cli.json, &report, |_| {
                eprintln!("Password changed for {target}.")
            })
        }
        UserCommand::Disable { username, reason } => {
            let account = accounts::disable(&mut session, username, reason.as_deref())?;
            output::emit(cli.json, &account, |a| {
                eprintln!("Disabled {}; its key slot is deleted.", a.username)
            })
        }
        UserCommand::Enable { username } => {
            let password = secrets::new_password(username)?;
            let account = accounts::enable(&mut session, username, &password, false)?;
            output::emit(cli.json, &account, |a| eprintln!("Enabled {}.", a.username))
        }
        UserCommand::Reset { username } => {
            let password = secrets::new_password(username)?;
            let account = accounts::reset_password(&mut session, username, &password)?;
            output::emit(cli.json, &account, |a| {
                eprintln!(
                    "Password reset for {}; they must choose their own at their next sign-in.",
                    a.username
                )
            })
        }
    }
}

fn print_accounts(list: &[StaffAccount]) {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            vec![
                a.username.clone(),
                a.role.to_string(),
                a.status.clone(),
                a.display_name.clone(),
            ]
        })
        .collect();
    output::table(&["USER", "ROLE", "STATUS", "NAME"], &rows);
}
