//! An Arrow IPC stream read message by message as it arrives, one frame
//! per record batch, so a result is never held twice (as bytes and as a
//! frame) and an export can write each batch before the next arrives.
//!
//! Polars' stream reader wants to seek, which an HTTP body cannot, so the
//! stream is framed here: every message is the continuation marker, the
//! length of its metadata, the metadata (a flatbuffer that gives the body's
//! length) and the body. Each record batch is decoded on its own, behind
//! the schema and the dictionaries seen so far.
//!
//! ClickHouse appends the text of an exception that happens after the
//! result started where the next message would begin, so bytes that are
//! not a message are searched for that text: it is reported, never taken
//! for the end of the data.

use std::io::{Cursor, ErrorKind, Read};

use polars::prelude::{DataFrame, IpcStreamReader, SerReader};
use polars_arrow_format::ipc::planus::ReadAsRoot;
use polars_arrow_format::ipc::{MessageHeaderRef, MessageRef};

/// The marker before every message of a stream (Arrow 0.15 and later).
const CONTINUATION: [u8; 4] = [0xff; 4];
/// The end-of-stream message: a marker and a zero length.
const END: [u8; 8] = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
/// The longest metadata taken for real; a longer length is text, not a
/// message.
const MAX_METADATA: usize = 64 << 20;
/// How much is read past a damaged message to find the server's exception.
const EXCEPTION_WINDOW: u64 = 1 << 20;

/// Why a stream gave no (more) frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamError {
    /// Reading failed: the connection broke.
    Io(String),
    /// The server's exception, written into the stream: its code and text.
    Exception { code: u32, message: String },
    /// Bytes that are neither a message nor an exception.
    Damaged(String),
}

/// The record batches of an Arrow stream read from `R`, each as a frame.
pub struct Batches<R> {
    reader: R,
    /// The schema message as it came, framed.
    schema: Option<Vec<u8>>,
    /// The dictionary messages so far, framed.
    dictionaries: Vec<u8>,
    done: bool,
}

impl<R: Read> Batches<R> {
    pub fn new(reader: R) -> Batches<R> {
        Batches {
            reader,
            schema: None,
            dictionaries: Vec::new(),
            done: false,
        }
    }

    /// An empty frame with the stream's columns, once its schema was read
    /// (a result of no rows has no batch to take them from).
    pub fn empty(&self) -> Option<Result<DataFrame, StreamError>> {
        self.schema.as_ref().map(|schema| self.decode(schema, &[]))
    }

    /// The next batch, `None` at the end of the stream.
    pub fn next_batch(&mut self) -> Option<Result<DataFrame, StreamError>> {
        if self.done {
            return None;
        }
        let answer = self.read_batch();
        if !matches!(answer, Some(Ok(_))) {
            self.done = true;
        }
        answer
    }

    fn read_batch(&mut self) -> Option<Result<DataFrame, StreamError>> {
        loop {
            let message = match self.read_message() {
                Ok(Some(message)) => message,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            match message.kind {
                Kind::Schema => self.schema = Some(message.bytes),
                Kind::Dictionary => self.dictionaries.extend_from_slice(&message.bytes),
                Kind::Batch => {
                    let Some(schema) = &self.schema else {
                        return Some(Err(StreamError::Damaged(
                            "a record batch came before the schema".to_owned(),
                        )));
                    };
                    return Some(self.decode(schema, &message.bytes));
                }
            }
        }
    }

    /// Decodes one batch (none for the empty frame) behind the schema and
    /// dictionaries, as a stream of its own.
    fn decode(&self, schema: &[u8], batch: &[u8]) -> Result<DataFrame, StreamError> {
        let mut stream =
            Vec::with_capacity(schema.len() + self.dictionaries.len() + batch.len() + END.len());
        stream.extend_from_slice(schema);
        stream.extend_from_slice(&self.dictionaries);
        stream.extend_from_slice(batch);
        stream.extend_from_slice(&END);
        IpcStreamReader::new(Cursor::new(stream))
            .finish()
            .map_err(|e| StreamError::Damaged(format!("a record batch cannot be read ({e})")))
    }

    /// The next message, framed as it came; `None` at the end marker. Bytes that
    /// do not frame a message are read on a little way and searched for
    /// the server's exception.
    fn read_message(&mut self) -> Result<Option<Message>, StreamError> {
        let mut bytes = Vec::new();
        let mut marker = [0u8; 4];
        match read_full(&mut self.reader, &mut marker)? {
            // A stream ends with its end marker; one that stops without
            // it was cut.
            0 => return Err(StreamError::Damaged("the stream ended early".to_owned())),
            4 => {}
            n => return Err(self.not_a_message(&marker[..n])),
        }
        bytes.extend_from_slice(&marker);
        if marker != CONTINUATION {
            return Err(self.not_a_message(&bytes));
        }
        let mut length = [0u8; 4];
        let n = read_full(&mut self.reader, &mut length)?;
        bytes.extend_from_slice(&length[..n]);
        if n < 4 {
            return Err(self.not_a_message(&bytes));
        }
        let length = i32::from_le_bytes(length);
        if length == 0 {
            return Ok(None);
        }
        let Some(length) = usize::try_from(length).ok().filter(|l| *l <= MAX_METADATA) else {
            return Err(self.not_a_message(&bytes));
        };
        let start = bytes.len();
        (&mut self.reader)
            .take(length as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&e))?;
        if bytes.len() - start < length {
            return Err(self.not_a_message(&bytes));
        }
        let (kind, body) = match MessageRef::read_as_root(&bytes[start..]) {
            Ok(message) => match (message.header(), message.body_length()) {
                (Ok(Some(header)), Ok(body)) if body >= 0 => (
                    match header {
                        MessageHeaderRef::Schema(_) => Kind::Schema,
                        MessageHeaderRef::DictionaryBatch(_) => Kind::Dictionary,
                        MessageHeaderRef::RecordBatch(_) => Kind::Batch,
                        _ => return Err(self.not_a_message(&bytes)),
                    },
                    body as u64,
                ),
                _ => return Err(self.not_a_message(&bytes)),
            },
            Err(_) => return Err(self.not_a_message(&bytes)),
        };
        let start = bytes.len();
        (&mut self.reader)
            .take(body)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&e))?;
        if ((bytes.len() - start) as u64) < body {
            return Err(self.not_a_message(&bytes));
        }
        Ok(Some(Message { kind, bytes }))
    }

    /// The error for `start`, bytes where a message should begin: the
    /// server's exception when they (or what follows) hold one.
    fn not_a_message(&mut self, start: &[u8]) -> StreamError {
        let mut text = start.to_vec();
        let _ = (&mut self.reader)
            .take(EXCEPTION_WINDOW)
            .read_to_end(&mut text);
        match super::http::exception_in(&text) {
            Some((code, message)) => StreamError::Exception { code, message },
            None if text.is_empty() => StreamError::Damaged("the stream ended early".to_owned()),
            None => match std::str::from_utf8(&text) {
                // A proxy's page, say, where the server's answer should be.
                Ok(page) if !text.starts_with(&CONTINUATION) => StreamError::Damaged(format!(
                    "the answer is not an Arrow stream; it begins `{}`",
                    opening(page)
                )),
                _ => StreamError::Damaged("the Arrow stream is damaged".to_owned()),
            },
        }
    }
}

/// The first characters of a text answer, shown safely on one line.
fn opening(page: &str) -> String {
    const SHOWN: usize = 80;
    let mut shown: String = page
        .trim()
        .chars()
        .take(SHOWN)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if page.trim().chars().count() > SHOWN {
        shown.push('…');
    }
    shown
}

enum Kind {
    Schema,
    Dictionary,
    Batch,
}

struct Message {
    kind: Kind,
    bytes: Vec<u8>,
}

/// Reads into `buf` until it is full or the stream ends; how many bytes
/// came.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, StreamError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(&e)),
        }
    }
    Ok(filled)
}

fn io_error(error: &std::io::Error) -> StreamError {
    StreamError::Io(error.to_string())
}

#[cfg(test)]
mod tests {
    use polars::prelude::{Column, IpcStreamWriter, SerWriter};

    use super::*;

    fn stream(frames: &[DataFrame]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut all = frames[0].clone();
        for f in &frames[1..] {
            all.vstack_mut(f).expect("same columns");
        }
        IpcStreamWriter::new(&mut out)
            .finish(&mut all)
            .expect("writes");
        out
    }

    fn frame(from: i64, n: i64) -> DataFrame {
        DataFrame::new_infer_height(vec![
            Column::new("n".into(), (from..from + n).collect::<Vec<_>>()),
            Column::new(
                "s".into(),
                (from..from + n)
                    .map(|i| format!("v{i}"))
                    .collect::<Vec<_>>(),
            ),
        ])
        .expect("frame")
    }

    fn read_all(bytes: &[u8]) -> (Vec<DataFrame>, Option<StreamError>) {
        let mut batches = Batches::new(bytes);
        let mut frames = Vec::new();
        while let Some(batch) = batches.next_batch() {
            match batch {
                Ok(frame) => frames.push(frame),
                Err(e) => return (frames, Some(e)),
            }
        }
        (frames, None)
    }

    #[test]
    fn batches_come_one_by_one_with_their_rows() {
        let bytes = stream(&[frame(0, 3), frame(3, 2)]);
        let (frames, error) = read_all(&bytes);
        assert_eq!(error, None);
        let rows: usize = frames.iter().map(DataFrame::height).sum();
        assert_eq!(rows, 5);
        let mut all = frames[0].clone();
        for f in &frames[1..] {
            all.vstack_mut(f).expect("vstack");
        }
        assert!(all.equals(&frame(0, 5)));
    }

    #[test]
    fn an_empty_result_keeps_its_columns() {
        let bytes = stream(&[frame(0, 0)]);
        let mut batches = Batches::new(&bytes[..]);
        while let Some(batch) = batches.next_batch() {
            batch.expect("no error");
        }
        let empty = batches.empty().expect("schema read").expect("decodes");
        assert_eq!(empty.height(), 0);
        assert_eq!(empty.width(), 2);
    }

    #[test]
    fn an_exception_after_batches_is_reported() {
        let mut bytes = stream(&[frame(0, 4)]);
        bytes.truncate(bytes.len() - END.len());
        bytes.extend_from_slice(
            b"Code: 395. DB::Exception: Value passed to 'throwIf' function is non-zero. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 24.8.1.1)\n",
        );
        let (frames, error) = read_all(&bytes);
        assert_eq!(frames.len(), 1);
        assert_eq!(
            error,
            Some(StreamError::Exception {
                code: 395,
                message:
                    "Value passed to 'throwIf' function is non-zero. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO)"
                        .to_owned()
            })
        );
    }

    #[test]
    fn a_cut_stream_is_damaged_not_short() {
        let bytes = stream(&[frame(0, 100)]);
        for cut in [0, 3, 6, 40, bytes.len() - 20, bytes.len() - END.len()] {
            let (_, error) = read_all(&bytes[..cut]);
            assert!(
                matches!(error, Some(StreamError::Damaged(_))),
                "cut at {cut}: {error:?}"
            );
        }
    }

    #[test]
    fn text_where_a_message_should_be_is_not_taken_for_a_length() {
        let (frames, error) = read_all(b"not arrow at all");
        assert!(frames.is_empty());
        assert!(matches!(error, Some(StreamError::Damaged(_))), "{error:?}");
    }
}
