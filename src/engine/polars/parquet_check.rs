//! Page checksums of Parquet files.
//!
//! A Parquet page header may carry a CRC-32 of the page as stored. The
//! engine's reader does not look at it, so a file whose data pages were
//! damaged (a bad disk, a truncated copy patched up) reads without
//! complaint and with wrong values. Before a file with checksums is read,
//! every page that has one is checked here; a mismatch names the file, the
//! row group and the column. A file written without checksums (most
//! writers' default) costs one page header to find that out; what can be
//! checked in it then is only what decoding finds.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
use polars_parquet_format::{FileMetaData, PageHeader};

use super::files::FileError;

/// The largest footer or page header read (a damaged length must not make
/// the check allocate without bound).
const MAX_FOOTER: u64 = 256 << 20;
const MAX_HEADER: usize = 16 << 20;
/// The largest page body read into memory at once.
const MAX_PAGE: usize = 1 << 30;

/// Checks the checksums of `path`'s pages, when its pages have them.
pub fn verify(path: &Path) -> Result<(), FileError> {
    let shown = path.display().to_string();
    let damaged = |problem: String| FileError::Bad {
        path: shown.clone(),
        problem,
    };
    let io = |e: std::io::Error| FileError::Unreadable {
        path: shown.clone(),
        reason: e.to_string(),
    };
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let metadata = read_footer(&mut file).map_err(|problem| damaged(problem.to_owned()))?;
    let mut body = Vec::new();
    for (group, row_group) in metadata.row_groups.iter().enumerate() {
        for chunk in &row_group.columns {
            let Some(meta) = &chunk.meta_data else {
                continue;
            };
            let column = meta.path_in_schema.join(".");
            let place = || format!("row group {}, column `{column}`", group + 1);
            let start = match meta.dictionary_page_offset {
                Some(dict) if dict > 0 && dict < meta.data_page_offset => dict,
                _ => meta.data_page_offset,
            };
            let (Ok(start), Ok(size)) = (
                u64::try_from(start),
                u64::try_from(meta.total_compressed_size),
            ) else {
                return Err(damaged(format!("{}: impossible page offsets", place())));
            };
            file.seek(SeekFrom::Start(start)).map_err(io)?;
            let mut read = 0u64;
            let mut checked_any = false;
            while read < size {
                let mut counted = CountingReader {
                    inner: &mut file,
                    count: 0,
                };
                let header = {
                    let mut protocol = TCompactInputProtocol::new(&mut counted, MAX_HEADER);
                    PageHeader::read_from_in_protocol(&mut protocol).map_err(|_| {
                        damaged(format!("{}: a page header cannot be read", place()))
                    })?
                };
                read += counted.count;
                let length = usize::try_from(header.compressed_page_size)
                    .ok()
                    .filter(|l| *l <= MAX_PAGE)
                    .ok_or_else(|| damaged(format!("{}: impossible page size", place())))?;
                let Some(expected) = header.crc else {
                    if !checked_any && group == 0 {
                        // Pages of this file carry no checksums.
                        return Ok(());
                    }
                    file.seek(SeekFrom::Current(length as i64)).map_err(io)?;
                    read += length as u64;
                    continue;
                };
                checked_any = true;
                body.resize(length, 0);
                file.read_exact(&mut body)
                    .map_err(|_| damaged(format!("{}: the file ends inside a page", place())))?;
                read += length as u64;
                if crc32fast::hash(&body) as i32 != expected {
                    return Err(damaged(format!(
                        "{}: a page does not match its checksum (the file is damaged)",
                        place()
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The file's metadata, from its footer.
fn read_footer(file: &mut BufReader<File>) -> Result<FileMetaData, &'static str> {
    let not_parquet = "not a Parquet file";
    let length = file.seek(SeekFrom::End(0)).map_err(|_| not_parquet)?;
    if length < 12 {
        return Err(not_parquet);
    }
    file.seek(SeekFrom::End(-8)).map_err(|_| not_parquet)?;
    let mut tail = [0u8; 8];
    file.read_exact(&mut tail).map_err(|_| not_parquet)?;
    if &tail[4..] != b"PAR1" {
        return Err(not_parquet);
    }
    let footer = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer > MAX_FOOTER || footer + 8 > length {
        return Err("the footer's length is impossible (the file is damaged)");
    }
    file.seek(SeekFrom::End(-8 - footer as i64))
        .map_err(|_| not_parquet)?;
    let mut bytes = vec![0u8; footer as usize];
    file.read_exact(&mut bytes).map_err(|_| not_parquet)?;
    // The limit is on what decoding allocates, which is more than the
    // bytes it reads.
    let mut protocol = TCompactInputProtocol::new(bytes.as_slice(), MAX_FOOTER as usize);
    FileMetaData::read_from_in_protocol(&mut protocol)
        .map_err(|_| "the footer cannot be read (the file is damaged)")
}

/// A reader that counts the bytes read through it.
struct CountingReader<'a, R> {
    inner: &'a mut R,
    count: u64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/parquet")
            .join(name)
    }

    #[test]
    fn a_file_whose_checksums_match_passes() {
        verify(&fixture("checksummed.parquet")).unwrap();
    }

    #[test]
    fn a_damaged_page_is_found_and_placed() {
        let error = verify(&fixture("damaged.parquet")).unwrap_err().to_string();
        assert!(error.contains("damaged.parquet"), "{error}");
        assert!(error.contains("row group 1, column `id`"), "{error}");
        assert!(error.contains("does not match its checksum"), "{error}");
    }

    #[test]
    fn files_without_checksums_and_non_parquet_files() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.parquet");
        let mut frame =
            ::polars::prelude::DataFrame::new_infer_height(vec![::polars::prelude::Column::new(
                "n".into(),
                [1i64, 2, 3],
            )])
            .unwrap();
        let file = File::create(&plain).unwrap();
        ::polars::prelude::ParquetWriter::new(file)
            .finish(&mut frame)
            .unwrap();
        verify(&plain).unwrap();
        let junk = dir.path().join("junk.parquet");
        std::fs::write(&junk, b"not parquet at all").unwrap();
        let error = verify(&junk).unwrap_err().to_string();
        assert!(error.contains("not a Parquet file"), "{error}");
    }
}
