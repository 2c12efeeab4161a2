//! Reads `vault.db`'s bytes exactly as they are on disk (SQLCipher's encrypted pages)
//! through the connection's own open file, at SQLite's VFS layer beneath the encryption.
//!
//! Why not `File::open`: SQLite locks the database with POSIX record locks, and closing
//! *any* descriptor of a file drops every such lock the process holds on it, so a second
//! handle would silently unlock the vault under every open connection of this process. No
//! crate exposes the VFS file of a connection, hence the few lines of FFI below, the only
//! `unsafe` in the workspace.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::io::{self, Read};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use rusqlite::{Connection, ffi};

type XRead = unsafe extern "C" fn(*mut ffi::sqlite3_file, *mut c_void, c_int, i64) -> c_int;

/// Reads the first `len` bytes of a connection's main database file. It borrows the
/// connection, so the file stays open while it reads; it is neither `Send` nor `Sync`, so it
/// is used on the connection's own thread.
pub(crate) struct DatabaseFileReader<'c> {
    file: NonNull<ffi::sqlite3_file>,
    read: XRead,
    position: u64,
    len: u64,
    _connection: PhantomData<&'c Connection>,
}

impl std::fmt::Debug for DatabaseFileReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseFileReader")
            .field("position", &self.position)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<'c> DatabaseFileReader<'c> {
    /// `None` when the connection has no open file with a read method (an in-memory
    /// database, or a VFS without one).
    pub(crate) fn new(conn: &'c Connection, len: u64) -> Option<Self> {
        let mut file: *mut ffi::sqlite3_file = ptr::null_mut();
        // SAFETY: `handle` is the live connection's pointer; SQLITE_FCNTL_FILE_POINTER
        // writes one `sqlite3_file*` into `file`, which outlives the call.
        let rc = unsafe {
            ffi::sqlite3_file_control(
                conn.handle(),
                c"main".as_ptr(),
                ffi::SQLITE_FCNTL_FILE_POINTER,
                (&raw mut file).cast(),
            )
        };
        let file = NonNull::new(file).filter(|_| rc == ffi::SQLITE_OK)?;
        // SAFETY: SQLite returned a valid `sqlite3_file`, owned by the connection we borrow;
        // `pMethods` is null when the file is not open, and checked.
        let methods = unsafe { file.as_ref().pMethods };
        // SAFETY: non-null `pMethods` points at the VFS's static method table.
        let read = unsafe { methods.as_ref() }?.xRead?;
        Some(DatabaseFileReader {
            file,
            read,
            position: 0,
            len,
            _connection: PhantomData,
        })
    }
}

impl Read for DatabaseFileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wanted = (self.len - self.position)
            .min(buf.len() as u64)
            .min(c_int::MAX as u64);
        if wanted == 0 {
            return Ok(0);
        }
        let offset = i64::try_from(self.position).map_err(io::Error::other)?;
        // SAFETY: `buf` holds at least `wanted` writable bytes; `file` stays valid while the
        // borrowed connection lives; xRead is a positioned read that does not disturb
        // SQLite's own use of the file.
        let rc = unsafe {
            (self.read)(
                self.file.as_ptr(),
                buf.as_mut_ptr().cast(),
                wanted as c_int,
                offset,
            )
        };
        match rc {
            ffi::SQLITE_OK => {
                self.position += wanted;
                Ok(wanted as usize)
            }
            ffi::SQLITE_IOERR_SHORT_READ => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "vault.db is shorter than its page count",
            )),
            code => Err(io::Error::other(format!(
                "SQLite cannot read vault.db (error {code})"
            ))),
        }
    }
}
