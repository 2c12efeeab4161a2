//! Byte plumbing for backups: hashing while streaming, handing the tar stream to the
//! encrypting thread, and checking what reached the disk.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::sync::mpsc::SyncSender;

use sha2::{Digest, Sha256};

/// Passes bytes through, hashing them with SHA-256 and counting them.
pub(crate) struct Hashing<R> {
    pub(crate) inner: R,
    sha: Sha256,
    pub(crate) count: u64,
}

impl<R> Hashing<R> {
    pub(crate) fn new(inner: R) -> Self {
        Hashing {
            inner,
            sha: Sha256::new(),
            count: 0,
        }
    }

    /// The hash, lowercase hex.
    pub(crate) fn hex(self) -> String {
        self.into_parts().2
    }

    /// The inner reader or writer, the byte count and the hash (lowercase hex).
    pub(crate) fn into_parts(self) -> (R, u64, String) {
        let hex = data_encoding::HEXLOWER.encode(&self.sha.finalize());
        (self.inner, self.count, hex)
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const CHUNK: usize = 1 << 20;

/// Sends the tar stream in 1 MiB chunks to the thread that encrypts and writes it, so
/// reading and hashing the members runs beside encryption and disk writes.
pub(crate) struct ChannelWriter {
    buf: Vec<u8>,
    tx: SyncSender<Vec<u8>>,
}

impl ChannelWriter {
    pub(crate) fn new(tx: SyncSender<Vec<u8>>) -> Self {
        ChannelWriter {
            buf: Vec::with_capacity(CHUNK),
            tx,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .send(full)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the backup writer stopped"))
    }

    /// Sends what is left; dropping `self` then ends the stream.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.send()?;
        }
        Ok(())
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// How much written data may wait before its write-back to the disk is started.
const WRITE_BACK_EVERY: u64 = 16 << 20;

/// Starts writing a file's dirty pages in `offset..offset + len` to the disk without waiting
/// (Linux's `fadvise(DONTNEED)` does that, then drops the pages once clean), so the disk
/// works while the CPU encrypts instead of all at the final sync, and the cache does not
/// fill with a backup nobody will read. Advice only: ignoring a failure loses nothing.
pub(crate) fn start_write_back(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::fs::fadvise(
            file,
            offset,
            std::num::NonZeroU64::new(len),
            rustix::fs::Advice::DontNeed,
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// The backup file being written, with a CRC-32 and length of everything written, so the
/// file can be read back from the disk and compared.
pub(crate) struct CheckedFile {
    file: BufWriter<File>,
    crc: crc32fast::Hasher,
    len: u64,
    written_back: u64,
}

impl CheckedFile {
    pub(crate) fn new(file: File) -> Self {
        CheckedFile {
            file: BufWriter::with_capacity(CHUNK, file),
            crc: crc32fast::Hasher::new(),
            len: 0,
            written_back: 0,
        }
    }

    /// Flushes and syncs the file; returns the CRC-32 and length written.
    pub(crate) fn finish(self) -> io::Result<(u32, u64)> {
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok((self.crc.finalize(), self.len))
    }
}

impl Write for CheckedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        let in_file = self.len - self.file.buffer().len() as u64;
        if in_file - self.written_back >= WRITE_BACK_EVERY {
            start_write_back(
                self.file.get_ref(),
                self.written_back,
                in_file - self.written_back,
            );
            self.written_back = in_file;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Reads a synced file back from the disk itself, not the page cache (on Linux its cached
/// pages are dropped first), and returns its CRC-32 and length.
pub(crate) fn read_back(file: &File) -> io::Result<(u32, u64)> {
    // Advice only: where the kernel ignores it, the page cache is read instead.
    start_write_back(file, 0, 0);
    let mut reader = file;
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((crc.finalize(), len));
        }
        crc.update(&buf[..n]);
        len += n as u64;
    }
}
