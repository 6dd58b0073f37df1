//! Reading one spec file: bytes → JSON value, plus a pointer → line map for diagnostics.

use std::collections::HashMap;

use serde_json::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::pointer::escape_segment;

/// Largest spec file hookgen reads. Real specs are a few MB; this bounds memory on hostile input.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

/// Why a file could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("file is empty")]
    Empty,
    #[error("file is {0} bytes; hookgen reads at most {MAX_FILE_BYTES}")]
    TooLarge(usize),
    #[error("file is not UTF-8 (invalid byte at offset {0})")]
    NotUtf8(usize),
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("invalid YAML{}: {message}", location.map(|(l, c)| format!(" at line {l}, column {c}")).unwrap_or_default())]
    Yaml {
        location: Option<(usize, usize)>,
        message: String,
    },
}

impl ParseError {
    pub fn line(&self) -> Option<usize> {
        match self {
            ParseError::Json { line, .. } => Some(*line),
            ParseError::Yaml { location, .. } => location.map(|(l, _)| l),
            _ => None,
        }
    }
}

pub fn detect_format(text: &str) -> Format {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('{') | Some('[') => Format::Json,
        _ => Format::Yaml,
    }
}

/// Parse a spec file's bytes into a JSON value. YAML mapping keys are stringified (`200:` → `"200"`).
pub fn parse(bytes: &[u8]) -> Result<(Value, Format), ParseError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ParseError::TooLarge(bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError::NotUtf8(e.valid_up_to()))?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let format = detect_format(text);
    let value = match format {
        Format::Json => parse_json(text)?,
        Format::Yaml => parse_yaml(text)?,
    };
    Ok((value, format))
}

fn parse_json(text: &str) -> Result<Value, ParseError> {
    match parse_json_strict(text) {
        // serde_json refuses literals such as `1e400`; they are read as the largest finite float.
        Err(ParseError::Json { message, .. }) if message.starts_with("number out of range") => {
            parse_json_strict(&clamp_overflowing_numbers(text))
        }
        other => other,
    }
}

fn parse_json_strict(text: &str) -> Result<Value, ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = crate::dupkeys::deserialize_strict(&mut de).map_err(|e| ParseError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    de.end().map_err(|e| ParseError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    Ok(value)
}

/// Rewrite every number literal (outside strings) that overflows `f64` as `±f64::MAX`.
fn clamp_overflowing_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied, mut in_string) = (0, 0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                i += 1;
            }
            let literal = &text[start..i];
            if literal.parse::<f64>().is_ok_and(f64::is_infinite) {
                out.push_str(&text[copied..start]);
                let sign = if literal.starts_with('-') { "-" } else { "" };
                out.push_str(&format!("{sign}{:e}", f64::MAX));
                copied = i;
            }
            continue;
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

fn parse_yaml(text: &str) -> Result<Value, ParseError> {
    crate::dupkeys::deserialize_strict(serde_yaml::Deserializer::from_str(text)).map_err(|e| {
        ParseError::Yaml {
            location: e.location().map(|l| (l.line(), l.column())),
            message: e.to_string(),
        }
    })
}

/// JSON pointer → (line, column), both 1-based, for every node of a YAML or JSON text.
#[derive(Debug, Default, Clone)]
pub struct LineMap {
    positions: HashMap<String, (usize, usize)>,
}

impl LineMap {
    /// Build the map; on any parse trouble the map is simply partial (lines are a courtesy).
    pub fn build(text: &str) -> LineMap {
        let mut builder = LineMapBuilder::default();
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut builder, false);
        LineMap {
            positions: builder.positions,
        }
    }

    /// The position of `pointer`, or of its nearest ancestor that has one.
    pub fn locate(&self, pointer: &str) -> Option<(usize, usize)> {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return Some(*pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }

    /// The exact position of `pointer`, without falling back to an ancestor.
    pub fn exact(&self, pointer: &str) -> Option<(usize, usize)> {
        self.positions.get(pointer).copied()
    }
}

enum Frame {
    Map {
        pending_key: Option<String>,
        expecting_key: bool,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct LineMapBuilder {
    stack: Vec<(String, Frame)>,
    positions: HashMap<String, (usize, usize)>,
}

impl LineMapBuilder {
    /// The pointer of the node that starts now, and advance the parent's state.
    fn next_child_pointer(&mut self) -> Option<String> {
        let (parent, frame) = match self.stack.last_mut() {
            Some(top) => top,
            None => return Some(String::new()),
        };
        match frame {
            Frame::Seq { index } => {
                let p = format!("{parent}/{index}");
                *index += 1;
                Some(p)
            }
            Frame::Map {
                pending_key,
                expecting_key,
            } => {
                if *expecting_key {
                    None
                } else {
                    let key = pending_key.take().unwrap_or_default();
                    *expecting_key = true;
                    Some(format!("{parent}/{}", escape_segment(&key)))
                }
            }
        }
    }

    fn record(&mut self, pointer: &str, mark: Marker) {
        self.positions
            .entry(pointer.to_string())
            .or_insert((mark.line(), mark.col() + 1));
    }
}

impl MarkedEventReceiver for LineMapBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some((
                    _,
                    Frame::Map {
                        pending_key,
                        expecting_key,
                    },
                )) = self.stack.last_mut()
                {
                    if *expecting_key {
                        *pending_key = Some(value);
                        *expecting_key = false;
                        // A key's line is where its entry starts: the most useful place to point at.
                        let parent = self
                            .stack
                            .last()
                            .map(|(p, _)| p.clone())
                            .unwrap_or_default();
                        if let Some((
                            _,
                            Frame::Map {
                                pending_key: Some(k),
                                ..
                            },
                        )) = self.stack.last()
                        {
                            let p = format!("{parent}/{}", escape_segment(k));
                            self.record(&p, mark);
                        }
                        return;
                    }
                }
                if let Some(p) = self.next_child_pointer() {
                    self.record(&p, mark);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let p = self.next_child_pointer().unwrap_or_default();
                self.record(&p, mark);
                let frame = if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        pending_key: None,
                        expecting_key: true,
                    }
                } else {
                    Frame::Seq { index: 0 }
                };
                self.stack.push((p, frame));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Alias(_) => {
                let _ = self.next_child_pointer();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_numbers_beyond_f64_are_read_as_the_largest_float() {
        let (v, _) =
            super::parse(br#"{"a": 1e400, "b": -2E+999, "s": "1e400", "c": 1.5}"#).unwrap();
        assert_eq!(v["a"].as_f64(), Some(f64::MAX));
        assert_eq!(v["b"].as_f64(), Some(-f64::MAX));
        assert_eq!(v["s"], "1e400");
        assert_eq!(v["c"].as_f64(), Some(1.5));
    }

    #[test]
    fn yaml_integers_beyond_i64_are_read() {
        let (v, _) =
            super::parse(b"openapi: 3.1.0\nminimum: -9223372036854776000\nmax: -.inf\n").unwrap();
        assert_eq!(v["minimum"].as_f64(), Some(-9.223372036854776e18));
        assert_eq!(v["max"].as_f64(), Some(-f64::MAX));
    }

    use super::*;

    #[test]
    fn yaml_integer_keys_become_strings() {
        let (v, f) = parse(b"responses:\n  200:\n    description: OK\n").unwrap();
        assert_eq!(f, Format::Yaml);
        assert_eq!(v["responses"]["200"]["description"], "OK");
    }

    #[test]
    fn empty_and_garbage_are_errors() {
        assert!(matches!(parse(b"  \n"), Err(ParseError::Empty)));
        assert!(matches!(parse(b"{\"a\": "), Err(ParseError::Json { .. })));
        assert!(matches!(parse(b"\xff\xfe"), Err(ParseError::NotUtf8(0))));
        assert!(matches!(parse(b"a: [1, 2"), Err(ParseError::Yaml { .. })));
    }

    #[test]
    fn line_map_locates_yaml_and_json_nodes() {
        let yaml = "openapi: 3.1.0\ncomponents:\n  schemas:\n    A:\n      required:\n        - x\n      properties:\n        y: {type: string}\n";
        let map = LineMap::build(yaml);
        assert_eq!(map.exact("/components/schemas/A").map(|p| p.0), Some(4));
        assert_eq!(
            map.exact("/components/schemas/A/required/0").map(|p| p.0),
            Some(6)
        );
        assert_eq!(
            map.locate("/components/schemas/A/properties/y/type")
                .map(|p| p.0),
            Some(8)
        );
        let json = "{\n  \"a\": {\n    \"b\": [1,\n 2]\n  }\n}";
        let map = LineMap::build(json);
        assert_eq!(map.exact("/a/b").map(|p| p.0), Some(3));
        assert_eq!(map.exact("/a/b/1").map(|p| p.0), Some(4));
    }
}
