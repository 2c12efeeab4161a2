//! Byte plumbing for backups: hashing while streaming, handing the tar stream to the
//! encrypting thread, and checking what reached the disk.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, SyncSender};

/// The size of the pieces backups read and write in.
pub(crate) const CHUNK: usize = 1 << 20;

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
/// file can be read back from the disk and compared. Each time it starts a write-back it
/// tells `written` how far the file is complete; dropping it (after [`CheckedFile::finish`]
/// has synced the file, or on a failure) ends that news.
pub(crate) struct CheckedFile {
    file: BufWriter<File>,
    crc: crc32fast::Hasher,
    len: u64,
    written_back: u64,
    written: Sender<u64>,
}

impl CheckedFile {
    pub(crate) fn new(file: File, written: Sender<u64>) -> Self {
        CheckedFile {
            file: BufWriter::with_capacity(CHUNK, file),
            crc: crc32fast::Hasher::new(),
            len: 0,
            written_back: 0,
            written,
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
            // The reader may have stopped (its result is then not wanted).
            let _ = self.written.send(in_file);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Reads the file at `path` back from the disk itself, never the page cache, and returns its
/// CRC-32 and length once the writer has finished (dropped its [`CheckedFile`]).
///
/// On Linux it follows the writer: each range reported complete is read with `O_DIRECT`,
/// which first waits for that range's write-back and then reads the device, so reading
/// back costs hardly any time beyond the writing. Where direct reads are refused (tmpfs, some
/// FUSE drives) the file is read once after the writer is done, its cached pages dropped.
pub(crate) fn read_back(path: &Path, written: Receiver<u64>) -> io::Result<(u32, u64)> {
    #[cfg(target_os = "linux")]
    if let Ok(result) = read_back_directly(path, &written) {
        return Ok(result);
    }
    for _ in &written {}
    let file = File::open(path)?;
    // Advice only: where the kernel ignores it, the page cache is read instead.
    start_write_back(&file, 0, 0);
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    let mut buf = vec![0u8; CHUNK];
    let mut reader = &file;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok((crc.finalize(), len));
        }
        crc.update(&buf[..n]);
        len += n as u64;
    }
}

#[cfg(target_os = "linux")]
fn read_back_directly(path: &Path, written: &Receiver<u64>) -> io::Result<(u32, u64)> {
    use std::os::unix::fs::{FileExt, OpenOptionsExt};
    // Direct reads need the buffer, offset and length aligned to the device's block size.
    const ALIGN: usize = 4096;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32)
        .open(path)?;
    let mut storage = vec![0u8; CHUNK + ALIGN];
    let start = storage.as_ptr().align_offset(ALIGN);
    let buf = &mut storage[start..start + CHUNK];
    let mut crc = crc32fast::Hasher::new();
    let mut done = 0u64;
    let mut complete = 0u64;
    loop {
        // Up to the last whole block the writer has finished, or (once it has stopped) to
        // the end of the file.
        let finished = match written.recv() {
            Ok(len) => {
                complete = len - len % ALIGN as u64;
                false
            }
            Err(_) => true,
        };
        while finished || done < complete {
            let want = if finished {
                CHUNK
            } else {
                (complete - done).min(CHUNK as u64) as usize
            };
            let n = file.read_at(&mut buf[..want], done)?;
            crc.update(&buf[..n]);
            done += n as u64;
            if finished && n < want {
                return Ok((crc.finalize(), done));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    /// Writes `len` bytes of a pattern through a [`CheckedFile`] while [`read_back`] follows
    /// on another thread, as a backup does; returns what each side saw.
    fn write_and_follow(path: &Path, len: usize) -> ((u32, u64), (u32, u64)) {
        let (tx, rx) = channel();
        let file = File::create(path).unwrap();
        std::thread::scope(|scope| {
            let reader = scope.spawn(|| read_back(path, rx).unwrap());
            let mut checked = CheckedFile::new(file, tx);
            let block: Vec<u8> = (0..CHUNK).map(|i| (i * 7 % 251) as u8).collect();
            let mut left = len;
            while left > 0 {
                let n = left.min(block.len());
                checked.write_all(&block[..n]).unwrap();
                left -= n;
            }
            let written = checked.finish().unwrap();
            (written, reader.join().unwrap())
        })
    }

    #[test]
    fn reading_back_follows_the_writer_and_sees_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        // Past several write-back points, and ending off a block boundary.
        let len = 3 * WRITE_BACK_EVERY as usize + 12_345;
        let (written, reread) = write_and_follow(&dir.path().join("backup"), len);
        assert_eq!(written.1, len as u64);
        assert_eq!(reread, written);
    }

    #[test]
    fn where_direct_reads_are_refused_the_file_is_read_once_written() {
        // tmpfs refuses O_DIRECT.
        let Ok(dir) = tempfile::tempdir_in("/dev/shm") else {
            return;
        };
        let (written, reread) = write_and_follow(&dir.path().join("backup"), 5 << 20);
        assert_eq!(reread, written);
    }

    #[test]
    fn reading_back_reports_the_file_as_it_is_not_as_it_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup");
        let (tx, rx) = channel();
        let mut checked = CheckedFile::new(File::create(&path).unwrap(), tx);
        checked.write_all(&[5u8; 100_000]).unwrap();
        let written = checked.finish().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[70_000] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let reread = read_back(&path, rx).unwrap();
        assert_eq!(reread.1, written.1);
        assert_ne!(reread.0, written.0);
    }
}
