//! Pretty JSON written straight into a buffer, for `infrac eval`: the bytes of
//! `serde_json::to_writer_pretty` (two spaces per level, `": "` after a key, `[]` and `{}` when
//! empty, serde_json's escapes), without a serializer call per token and per level of indentation.
//!
//! Values are written as their `serde::Serialize` implementation (`value.rs`) writes them; the
//! tests below hold the two to the same bytes.

use std::io::{self, Write};

use crate::value::Value;

/// Flushed to the writer past this many bytes, so that a large document is never held whole.
const FLUSH_AT: usize = 64 * 1024;

const SPACES: &[u8] = &[b' '; 64];

/// A pretty JSON writer over `out`. A container is `open`, then an `item` (or a `field`) before
/// each value, then `close`; `object` and `array` do the three for a sequence; `finish` flushes.
pub struct JsonWriter<W: Write> {
    buf: Vec<u8>,
    out: W,
    depth: usize,
    /// The innermost open container has no item yet.
    fresh: bool,
}

impl<W: Write> JsonWriter<W> {
    pub fn new(out: W) -> Self {
        Self {
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            out,
            depth: 0,
            fresh: false,
        }
    }

    /// Opens an object (`b'{'`) or an array (`b'['`).
    pub fn open(&mut self, bracket: u8) {
        self.buf.push(bracket);
        self.depth += 1;
        self.fresh = true;
    }

    /// Starts the next item of the open container: the separator and the indentation.
    pub fn item(&mut self) {
        self.buf
            .extend_from_slice(if self.fresh { b"\n" } else { b",\n" });
        self.fresh = false;
        self.indent();
    }

    /// Starts the next entry of the open object: `item`, then the key.
    pub fn field(&mut self, key: &str) {
        self.item();
        self.key(key);
    }

    /// Closes the innermost container with `bracket` (`b'}'` or `b']'`).
    pub fn close(&mut self, bracket: u8) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if !self.fresh {
            self.buf.push(b'\n');
            self.indent();
        }
        self.fresh = false;
        self.buf.push(bracket);
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// An object of `items`; `entry` writes one item with `key` then a value.
    pub fn object<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut entry: impl FnMut(&mut Self, T) -> io::Result<()>,
    ) -> io::Result<()> {
        self.open(b'{');
        for item in items {
            self.item();
            entry(self, item)?;
        }
        self.close(b'}')
    }

    /// An array of `items`; `element` writes one value.
    pub fn array<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut element: impl FnMut(&mut Self, T) -> io::Result<()>,
    ) -> io::Result<()> {
        self.open(b'[');
        for item in items {
            self.item();
            element(self, item)?;
        }
        self.close(b']')
    }

    fn indent(&mut self) {
        let mut left = self.depth * 2;
        while left > 0 {
            let step = left.min(SPACES.len());
            self.buf.extend_from_slice(&SPACES[..step]);
            left -= step;
        }
    }

    /// An object key: the string and `": "`.
    pub fn key(&mut self, key: &str) {
        self.string(key);
        self.buf.extend_from_slice(b": ");
    }

    /// A JSON string, escaped as serde_json escapes it: runs of plain bytes are copied whole.
    pub fn string(&mut self, text: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.buf.push(b'"');
        let bytes = text.as_bytes();
        let mut plain = 0;
        for (at, &byte) in bytes.iter().enumerate() {
            let short: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0C => b"\\f",
                0x00..=0x1F => b"",
                _ => continue,
            };
            self.buf.extend_from_slice(&bytes[plain..at]);
            plain = at + 1;
            if short.is_empty() {
                let code = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xF)],
                ];
                self.buf.extend_from_slice(&code);
            } else {
                self.buf.extend_from_slice(short);
            }
        }
        self.buf.extend_from_slice(&bytes[plain..]);
        self.buf.push(b'"');
    }

    /// A list of strings.
    pub fn strings(&mut self, items: &[String]) -> io::Result<()> {
        self.array(items, |json, item| {
            json.string(item);
            Ok(())
        })
    }

    /// A value, as `Value`'s `Serialize` writes it.
    pub fn value(&mut self, value: &Value) -> io::Result<()> {
        match value {
            Value::Null => self.buf.extend_from_slice(b"null"),
            Value::Bool(true) => self.buf.extend_from_slice(b"true"),
            Value::Bool(false) => self.buf.extend_from_slice(b"false"),
            // Numbers go through serde_json itself (itoa, ryu), so they are its bytes exactly.
            Value::Int(_) | Value::Float(_) => serde_json::to_writer(&mut self.buf, value)?,
            Value::Str(text) => self.string(text),
            Value::List(items) => self.array(items, Self::value)?,
            Value::Record(entries) => self.object(entries, |json, (key, item)| {
                json.key(key);
                json.value(item)
            })?,
            Value::Rt(..) | Value::Template(_) => serde_json::to_writer(&mut self.buf, value)?,
        }
        Ok(())
    }

    /// Writes what is left and flushes the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::syntax::Float;
    use crate::types::Ty;
    use crate::value::{Rt, TemplatePart};

    fn written(value: &Value) -> String {
        let mut json = JsonWriter::new(Vec::new());
        json.value(value).expect("writes to memory");
        String::from_utf8(json.finish().expect("flushes to memory")).expect("UTF-8")
    }

    fn record(entries: &[(&str, Value)]) -> Value {
        Value::Record(
            entries
                .iter()
                .map(|(key, value)| (key.to_string(), value.clone()))
                .collect(),
        )
    }

    /// Every kind of value, every escape, empty and nested containers, and run-time references.
    fn samples() -> Vec<Value> {
        let every_byte: String = (0u8..0x80).map(char::from).collect();
        let rt = Value::Rt(
            Box::new(Rt::ModuleOutput {
                instance: "db".into(),
                key: Some("a\"b".into()),
                output: "arn".into(),
                resource: None,
            }),
            Box::new(Ty::Str(None)),
        );
        let template = Value::Template(vec![
            TemplatePart::Text("id-\n\"".into()),
            TemplatePart::Rt(Rt::LayerOutput {
                layer: "network".into(),
                output: "vpc_id".into(),
            }),
        ]);
        let scalars = vec![
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(0),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Float(Float(2.0)),
            Value::Float(Float(0.25)),
            Value::Float(Float(-1e300)),
            Value::Float(Float(1e-7)),
            Value::Float(Float(f64::NAN)),
            Value::Float(Float(f64::INFINITY)),
            Value::Str(String::new()),
            Value::Str(every_byte.clone()),
            Value::Str("é ✓ 𝄞 \u{7f} \u{2028}".into()),
            rt,
            template,
        ];
        let mut nested = record(&[
            ("", Value::List(Vec::new())),
            ("empty", Value::Record(BTreeMap::new())),
            (every_byte.as_str(), Value::List(scalars.clone())),
        ]);
        for depth in 0..40 {
            nested = record(&[("k", nested), ("n", Value::Int(depth))]);
        }
        let mut all = scalars.clone();
        all.push(Value::List(scalars));
        all.push(nested);
        all
    }

    #[test]
    fn writes_the_bytes_of_serde_json_pretty() {
        for value in samples() {
            let want = serde_json::to_string_pretty(&value).expect("serde_json writes it");
            assert_eq!(written(&value), want, "value {value:?}");
        }
    }

    /// A sink that keeps what it is given and the largest single write.
    #[derive(Default)]
    struct Sink {
        data: Vec<u8>,
        writes: usize,
        largest: usize,
    }

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.data.extend_from_slice(bytes);
            self.writes += 1;
            self.largest = self.largest.max(bytes.len());
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_large_document_is_written_in_pieces_and_whole() {
        let items: Vec<Value> = (0..20_000)
            .map(|n| {
                record(&[
                    ("name", Value::Str(format!("c{n:05}"))),
                    ("n", Value::Int(n)),
                ])
            })
            .collect();
        let value = Value::List(items);
        let mut json = JsonWriter::new(Sink::default());
        json.value(&value).expect("writes");
        let sink = json.finish().expect("flushes");
        assert!(sink.data.len() > 10 * FLUSH_AT, "{} bytes", sink.data.len());
        assert!(sink.writes > 10, "{} writes", sink.writes);
        assert!(
            sink.largest < FLUSH_AT + 1024,
            "a write of {} bytes",
            sink.largest
        );
        assert_eq!(
            String::from_utf8(sink.data).expect("UTF-8"),
            serde_json::to_string_pretty(&value).expect("serde_json writes it")
        );
    }

    #[test]
    fn objects_of_items_and_lists_of_strings() {
        let mut json = JsonWriter::new(Vec::new());
        let pairs = [
            ("a", vec!["x".to_string(), "y\"".to_string()]),
            ("b", vec![]),
        ];
        json.object(&pairs, |json, (key, list)| {
            json.key(key);
            json.strings(list)
        })
        .expect("writes");
        let text = String::from_utf8(json.finish().expect("flushes")).expect("UTF-8");
        let want = serde_json::to_string_pretty(&serde_json::json!({"a": ["x", "y\""], "b": []}))
            .expect("serde_json writes it");
        assert_eq!(text, want);
    }
}
